// `git bisect` on the private clone, with --no-checkout: git keeps the
// bookkeeping (which commits are left, which to test, when the answer is
// known) and only names the commit (BISECT_HEAD); the runner checks it out
// in the work tree itself. Outputs are parsed by git-output.ts.
import { InfraError } from '../errors.ts';
import type { BisectTree } from './repo.ts';
import { git, mustGit } from './repo.ts';
import { parseBisectAll, parseBisectOutput, type BisectState, type RankedCommit } from './git-output.ts';
import type { BisectTerms } from './record.ts';

/** Forget any earlier bisection in the clone and start one with these terms. */
export async function bisectStart(tree: BisectTree, terms: BisectTerms, logPath: string): Promise<void> {
  await git(tree, ['bisect', 'reset'], logPath);
  const termArgs = terms.old === 'good' ? [] : [`--term-old=${terms.old}`, `--term-new=${terms.new}`];
  mustGit(await git(tree, ['bisect', 'start', '--no-checkout', ...termArgs], logPath), 'git bisect start', logPath);
}

/** Tell git what a commit is ("good", "bad", "broken", "fixed" or "skip"); what git says next. */
export async function bisectMark(tree: BisectTree, word: string, commit: string, logPath: string): Promise<BisectState> {
  const r = await git(tree, ['bisect', word, commit], logPath);
  const state = parseBisectOutput(`${r.stdout}\n${r.stderr}`);
  // git exits non-zero for "only skipped commits left" and for a range it cannot bisect: both are answers.
  if (r.exitCode !== 0 && state.kind !== 'only-skipped' && state.kind !== 'not-ancestors') {
    throw new InfraError('GIT_BISECT_FAILED', `git bisect ${word} ${commit.slice(0, 12)} failed (exit ${r.exitCode ?? r.signal})`, { stage: 'source', logPath, logTail: `${r.stdout}\n${r.stderr}`.trim().slice(-2000) });
  }
  return state;
}

export async function bisectReset(tree: BisectTree, logPath: string): Promise<void> {
  await git(tree, ['bisect', 'reset'], logPath);
}

/** The remaining candidates, best halving point first (`git rev-list --bisect-all`). */
export async function bisectRanked(tree: BisectTree, terms: BisectTerms, logPath: string): Promise<RankedCommit[]> {
  const refs = mustGit(await git(tree, ['for-each-ref', '--format=%(refname)', 'refs/bisect/'], logPath), 'git for-each-ref refs/bisect/', logPath).stdout.split('\n').filter(Boolean);
  const newRef = `refs/bisect/${terms.new}`;
  const olds = refs.filter((r) => r.startsWith(`refs/bisect/${terms.old}-`));
  const r = mustGit(await git(tree, ['rev-list', '--bisect-all', newRef, '--not', ...olds], logPath), 'git rev-list --bisect-all', logPath);
  return parseBisectAll(r.stdout);
}
