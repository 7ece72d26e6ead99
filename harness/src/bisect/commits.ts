// `kvmatrix bisect`: the first commit where a case changes, by `git bisect`
// over a git source in one work tree (repo.ts), one step per commit git
// names (step.ts). git's state is rebuilt from bisect.json at every start:
// the ends, then every recorded step, so a rerun resumes where Ctrl-C
// stopped. After a skip, the next commit is the best-halving one left
// (git-output.ts nextAfterSkip), not git's pseudo-random jump; after two
// skips in a row git's own choice is taken (a cluster of broken commits).
// Two steps in a row that the infrastructure failed (each already retried)
// end the bisection (exit 69): every further step would only be skipped.
import { join } from 'node:path';
import type { AccelPolicy } from '../arch/host.ts';
import { UserError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import type { MatrixConfig, VariantEntry } from '../plan/config.ts';
import { openBisectTree, resolveCommit, commitSubject, countCandidates, type BisectTree } from './repo.ts';
import { bisectMark, bisectRanked, bisectReset, bisectStart } from './git-bisect.ts';
import { expectedSteps, nextAfterSkip, type BisectState } from './git-output.ts';
import { bisectTreeStages } from './tree-stages.ts';
import { runStep, type StepRequest } from './step.ts';
import { chooseBisectRun, saveBisect } from './run-dir.ts';
import { BISECT_SCHEMA, termsFor, type BisectAnswer, type BisectRecord, type BisectRequestRecord, type BisectStep } from './record.ts';

export interface BisectCommitsRequest {
  /** The config with only the case's suite (and the variant). */
  config: MatrixConfig;
  caseId: string;
  suite: string;
  arch: string;
  variant: VariantEntry;
  fixed: boolean;
  /** git URL or absolute path of a local repository. */
  source: string;
  good: string;
  bad: string;
  accel: AccelPolicy;
  rebuild?: boolean;
  force?: boolean;
  outDir?: string;
  /** Tests: what a step says about a commit, instead of building and booting it. */
  runStep?: (ctx: Ctx, req: StepRequest) => Promise<{ step: BisectStep }>;
}

export interface BisectRun {
  runDir: string;
  record: BisectRecord;
}

export async function bisectCommits(ctx: Ctx, req: BisectCommitsRequest): Promise<BisectRun> {
  const setupLog = join(ctx.cacheDir, 'bisect', 'setup.log');
  ctx.report({ kind: 'info', cell: 'bisect', stage: 'source', text: `syncing ${req.source}` });
  const tree = await openBisectTree(ctx.cacheDir, req.source, setupLog);
  try {
    const ends = await resolveEnds(tree, req);
    const request: BisectRequestRecord = {
      mode: 'commits', caseId: req.caseId, suite: req.suite, arch: req.arch, variant: req.variant.name, fixed: req.fixed,
      config: { file: req.config.file, sha256: req.config.sha256 }, source: req.source, good: ends.good, bad: ends.bad,
    };
    const { dir, previous, runId } = await chooseBisectRun(request, req);
    const terms = termsFor(req.fixed);
    const [older, newer] = req.fixed ? [ends.bad.commit, ends.good.commit] : [ends.good.commit, ends.bad.commit];
    const candidates = await countCandidates(tree, older, newer);
    const record: BisectRecord = previous ?? {
      schema: BISECT_SCHEMA, runId, request, terms, range: { candidates, expectedSteps: expectedSteps(candidates) },
      steps: [], answer: { status: 'running' }, startedAt: new Date().toISOString(), finishedAt: null, meanStepMs: null,
    };
    ctx.report({ kind: 'info', cell: 'bisect', text: `${previous ? 'resuming' : 'starting'} bisection ${dir}: ${candidates} candidate commit(s), about ${record.range.expectedSteps} step(s)${previous ? `, ${previous.steps.length} step(s) kept` : ''}` });
    await saveBisect(dir, record);
    const log = join(dir, 'git-bisect.log');
    let state = await replay(tree, record, { older, newer }, log);
    state = await loop(ctx, { tree, req, record, dir, log }, state);
    record.answer = await answerFor(tree, state, record);
    record.finishedAt = record.answer.status === 'running' ? null : new Date().toISOString();
    await saveBisect(dir, record);
    await bisectReset(tree, log);
    return { runDir: dir, record };
  } finally {
    await tree.release();
  }
}

async function resolveEnds(tree: BisectTree, req: BisectCommitsRequest): Promise<{ good: { ref: string; commit: string }; bad: { ref: string; commit: string } }> {
  const one = async (flag: string, ref: string) => {
    const commit = await resolveCommit(tree, ref);
    if (!commit) throw new UserError('BISECT_REF_NOT_FOUND', `${flag} ${ref} names no commit of ${req.source}`, { hint: 'use a branch, a tag, a sha or HEAD~N of the source repository' });
    return { ref, commit };
  };
  const ends = { good: await one('--good', req.good), bad: await one('--bad', req.bad) };
  if (ends.good.commit === ends.bad.commit) {
    throw new UserError('BISECT_EMPTY_RANGE', `--good ${req.good} and --bad ${req.bad} are the same commit (${ends.good.commit.slice(0, 12)})`, { hint: 'give two different commits, the older one first in history' });
  }
  return ends;
}

/** A fresh git bisection with the ends, then every recorded step: git's state as the record left it. */
async function replay(tree: BisectTree, record: BisectRecord, ends: { older: string; newer: string }, log: string): Promise<BisectState> {
  await bisectStart(tree, record.terms, log);
  await bisectMark(tree, record.terms.new, ends.newer, log);
  let state = await bisectMark(tree, record.terms.old, ends.older, log);
  for (const s of record.steps) state = await bisectMark(tree, s.said, s.commit, log);
  return state;
}

interface LoopCtx {
  tree: BisectTree;
  req: BisectCommitsRequest;
  record: BisectRecord;
  dir: string;
  log: string;
}

async function loop(ctx: Ctx, l: LoopCtx, first: BisectState): Promise<BisectState> {
  let state = first;
  while (state.kind === 'next' || state.kind === 'merge-base') {
    if (ctx.signal?.aborted) return state;
    const commit = await chooseCommit(l, state);
    const n = l.record.steps.length + 1;
    const stepsLeft = state.kind === 'next' ? state.stepsLeft : l.record.range.expectedSteps;
    const subject = await commitSubject(l.tree, commit);
    ctx.report({ kind: 'info', cell: 'bisect', text: `step ${n} of about ${n + stepsLeft}: ${commit.slice(0, 12)} ${subject}` });
    const { step } = await (l.req.runStep ?? runStep)(ctx, {
      n, commit, subject, plan: planFor(l.req, n, commit), config: l.req.config, caseId: l.req.caseId, terms: l.record.terms,
      runDir: l.dir, accel: l.req.accel, rebuild: l.req.rebuild, tree: bisectTreeStages(l.tree, commit),
    });
    state = await bisectMark(l.tree, step.said, commit, l.log);
    if (state.kind === 'next') step.left = { revisions: state.revisionsLeft, steps: state.stepsLeft };
    l.record.steps.push(step);
    await saveBisect(l.dir, l.record);
    ctx.report({ kind: 'info', cell: 'bisect', text: `step ${n}: ${step.said} (${step.evidence.reason}) in ${(step.durationMs / 1000).toFixed(1)} s` });
    if (infraStreak(l.record) >= 2) return state;
  }
  return state;
}

function infraStreak(record: BisectRecord): number {
  let n = 0;
  for (const s of [...record.steps].reverse()) {
    if (s.evidence.cellState !== 'infra-error') break;
    n++;
  }
  return n;
}

/** git's pick, except right after a single skip: then the best-halving commit left. */
async function chooseCommit(l: LoopCtx, state: Extract<BisectState, { kind: 'next' | 'merge-base' }>): Promise<string> {
  const steps = l.record.steps;
  const last = steps[steps.length - 1];
  const before = steps[steps.length - 2];
  if (state.kind !== 'next' || last?.term !== 'skip' || before?.term === 'skip') return state.commit;
  const ranked = await bisectRanked(l.tree, l.record.terms, l.log);
  const skipped = new Set(steps.filter((s) => s.term === 'skip').map((s) => s.commit));
  const known = new Set(steps.map((s) => s.commit));
  return nextAfterSkip(ranked, skipped, known) ?? state.commit;
}

/** The step's cell; its id (`step3-<sha12>/x86_64/base`) labels the step's progress lines. */
function planFor(req: BisectCommitsRequest, n: number, commit: string) {
  return {
    id: `step${n}-${commit.slice(0, 12)}/${req.arch}/${req.variant.name}`,
    kernel: { id: commit.slice(0, 12), source: { provider: 'git' as const, url: req.source, ref: commit } },
    arch: req.arch, variant: req.variant, repeat: 1,
  };
}

async function answerFor(tree: BisectTree, state: BisectState, record: BisectRecord): Promise<BisectAnswer> {
  switch (state.kind) {
    case 'found': return { status: 'found', commit: state.commit, subject: await commitSubject(tree, state.commit) };
    case 'only-skipped': {
      const candidates = [];
      for (const c of state.candidates) candidates.push({ commit: c, subject: await commitSubject(tree, c) });
      return { status: 'ambiguous', candidates };
    }
    case 'not-ancestors':
      return { status: 'aborted', code: 'BISECT_NOT_ANCESTORS', reason: `the ${record.terms.old} end is not an ancestor of the ${record.terms.new} end (${state.message}); ${record.request.fixed ? 'with --fixed, --bad is the older end' : '--good is the older end'}` };
    case 'unknown':
      return { status: 'aborted', code: 'GIT_BISECT_OUTPUT', reason: `git bisect said something kvmatrix does not understand: ${state.text.split('\n')[0]}` };
    case 'waiting':
      return { status: 'aborted', code: 'GIT_BISECT_OUTPUT', reason: 'git bisect is still waiting for an end' };
    default: {
      if (infraStreak(record) >= 2) return { status: 'aborted', code: 'BISECT_INFRA', reason: 'the infrastructure failed on two steps in a row (each retried once); fix the host and rerun to resume' };
      return { status: 'running' };
    }
  }
}
