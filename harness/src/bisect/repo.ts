// The one git work tree a bisection builds in, per git source:
//
//   ${cacheDir}/bisect/<hash(url)>/repo.git   a private bare clone with full history (git bisect's state lives here)
//                                   src/       the work tree, checked out commit by commit (--git-dir/--work-tree)
//                                   obj-<arch> the persistent kbuild object dir per arch (O=)
//                                   state.json files written on top of the checkout (a variant's patches)
//
// Why not the git provider's trees (source/git.ts: `git archive` of each
// commit into its own 1.4 GB tree): a bisection visits log2(N) commits, and
// each fresh tree means a cold build (~3 min here) in a fresh object dir.
// One checkout that moves from commit to commit rewrites only the files that
// differ, with a new mtime, so make recompiles just those: an incremental
// build (seconds). Builds still land in the content-addressed cache under the
// same key a matrix would use for that commit (`git:<url>@<sha>` identity).
//
// The git dir sits beside the tree, not in it: the kernel's setlocalversion
// would otherwise append "+" to the release of every build. The clone is
// private so a bisection never moves the user's HEAD, refs or BISECT_* state;
// it is rebuilt from bisect.json at every start (reset, then replay), so an
// interrupted run leaves nothing git could trip on. The dir is locked for the
// whole bisection: one bisection per source at a time.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { run, type RunResult } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { classifyGitUrl, gitUrlProblem } from '../source/git-url.ts';
import { hashValue } from '../util/hash.ts';
import { writeDirAtomically } from '../util/fs.ts';
import { writeTouchedFiles, type PatchedFiles } from '../patch/apply.ts';

export interface BisectTree {
  dir: string;
  url: string;
  gitDir: string;
  src: string;
  release(): Promise<void>;
}

/** Mutable so tests can shorten them. */
export const bisectGitTuning = {
  fetchTimeoutMs: 2 * 3600_000,
  localTimeoutMs: 15 * 60_000,
  // Long enough (about 80 s) to take over the lock of a killed run once it goes stale (60 s).
  lockRetries: 40,
};

/** The source's HEAD as fetched ("HEAD" in --good/--bad means this). */
export const SOURCE_HEAD_REF = 'refs/kvmatrix/source-head';

export function bisectDirFor(cacheDir: string, url: string): string {
  return join(cacheDir, 'bisect', hashValue(url).slice(0, 16));
}

function gitEnv(dir: string): Record<string, string> {
  return {
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    // Never discover a repository above ours; English messages, which the parsers read.
    GIT_CEILING_DIRECTORIES: dirname(dir),
    LC_ALL: 'C',
    LANGUAGE: 'C',
  };
}

/**
 * No automatic gc or maintenance: a clone of a kernel tree made of loose
 * objects (the synthetic history) would otherwise be repacked by the first
 * fetch, minutes of CPU in the middle of a bisection.
 */
const GIT_CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false'];

export async function git(tree: Pick<BisectTree, 'dir' | 'gitDir'>, args: string[], logPath?: string, timeoutMs = bisectGitTuning.localTimeoutMs): Promise<RunResult> {
  return run('git', [...GIT_CONFIG, `--git-dir=${tree.gitDir}`, ...args], { env: gitEnv(tree.dir), logPath, timeoutMs });
}

export function mustGit(r: RunResult, what: string, logPath?: string): RunResult {
  if (r.exitCode !== 0) {
    throw new InfraError('GIT_FAILED', `${what} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`})`, { stage: 'source', logPath, logTail: r.stderr.trim().slice(-2000) });
  }
  return r;
}

/** Lock the source's bisect dir, clean up after an interrupted run, and make the clone current. */
export async function openBisectTree(cacheDir: string, url: string, logPath: string): Promise<BisectTree> {
  const problem = gitUrlProblem(url);
  if (problem) throw new UserError('SOURCE_SPEC', problem, { stage: 'source' });
  const dir = bisectDirFor(cacheDir, url);
  await mkdir(dir, { recursive: true });
  const release = await lockfile.lock(dir, { retries: { retries: bisectGitTuning.lockRetries, minTimeout: 500, maxTimeout: 2000 }, stale: 60_000 }).catch((cause: unknown) => {
    throw new UserError('BISECT_BUSY', `another bisection of ${url} holds ${dir}`, { cause, hint: 'wait for it to finish (one bisection per source at a time)' });
  });
  const tree: BisectTree = { dir, url, gitDir: join(dir, 'repo.git'), src: join(dir, 'src'), release };
  try {
    // Only we use this clone and we hold its lock: a lock file left by a killed git is stale.
    await rm(join(tree.gitDir, 'index.lock'), { force: true });
    await syncClone(tree, logPath);
  } catch (err) {
    await release();
    throw err;
  }
  return tree;
}

/** Clone once (a local repository: hardlinked objects, seconds), then fetch branches, tags and HEAD every run. */
async function syncClone(tree: BisectTree, logPath: string): Promise<void> {
  const local = classifyGitUrl(tree.url, process.cwd()).kind === 'local';
  if (!existsSync(join(tree.gitDir, 'HEAD'))) {
    await writeDirAtomically(tree.gitDir, async (tmp) => {
      const r = await run('git', [...GIT_CONFIG, 'clone', '--bare', '--quiet', ...(local ? ['--local'] : []), '--', tree.url, tmp], {
        env: gitEnv(tree.dir), logPath, timeoutMs: bisectGitTuning.fetchTimeoutMs,
      });
      if (r.exitCode !== 0) throw cloneFailed(tree.url, r, logPath);
    });
  }
  const r = await git(tree, ['fetch', '--quiet', '--prune', '--tags', '--', tree.url, '+refs/heads/*:refs/heads/*', `+HEAD:${SOURCE_HEAD_REF}`], logPath, bisectGitTuning.fetchTimeoutMs);
  if (r.exitCode !== 0) throw cloneFailed(tree.url, r, logPath);
}

function cloneFailed(url: string, r: RunResult, logPath: string): Error {
  const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
  if (/does not appear to be a git repository|not found|No such file/i.test(r.stderr)) {
    return new UserError('GIT_REPO_NOT_FOUND', `${url} is not a reachable git repository`, { stage: 'source', logPath, logTail: tail, hint: 'pass --source a git URL or the path of a local repository' });
  }
  return new InfraError('GIT_FETCH_FAILED', `fetching ${url} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`})`, { stage: 'source', logPath, logTail: tail });
}

/** A ref as the user wrote it (branch, tag, sha, HEAD~3, v6.1^) as a commit sha of the clone, or null. */
export async function resolveCommit(tree: BisectTree, ref: string): Promise<string | null> {
  if (!ref || ref.startsWith('-') || /\s|\.\./.test(ref)) return null;
  const spelled = ref.replace(/^HEAD(?=$|[~^@])/, SOURCE_HEAD_REF);
  const r = await git(tree, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${spelled}^{commit}`]);
  const sha = r.stdout.trim();
  return r.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
}

export async function commitSubject(tree: BisectTree, sha: string): Promise<string> {
  return mustGit(await git(tree, ['show', '-s', '--format=%s', sha]), `git show ${sha}`).stdout.trim();
}

/** Commits the bisection chooses from: reachable from `newer`, not from `older` (`newer` included). */
export async function countCandidates(tree: BisectTree, older: string, newer: string): Promise<number> {
  return Number(mustGit(await git(tree, ['rev-list', '--count', newer, `^${older}`]), 'git rev-list --count').stdout.trim());
}

interface TreeState {
  /** Tree-relative files written on top of the checkout (a variant's patches): removed before the next checkout. */
  touched: string[];
}

async function readState(tree: BisectTree): Promise<TreeState> {
  try {
    return JSON.parse(await readFile(join(tree.dir, 'state.json'), 'utf8')) as TreeState;
  } catch {
    return { touched: [] };
  }
}

async function writeState(tree: BisectTree, s: TreeState): Promise<void> {
  await writeFile(join(tree.dir, 'state.json.tmp'), JSON.stringify(s, null, 2));
  await rename(join(tree.dir, 'state.json.tmp'), join(tree.dir, 'state.json'));
}

/**
 * Make the work tree hold `sha` exactly. Files a variant wrote are removed
 * first (a file its patches created would otherwise linger untracked); then
 * `checkout -f` rewrites only what differs from the index, so unchanged files
 * keep their mtimes and the next make is incremental.
 */
export async function checkoutCommit(tree: BisectTree, sha: string, logPath: string): Promise<void> {
  const state = await readState(tree);
  for (const rel of state.touched) await rm(join(tree.src, rel), { force: true });
  await mkdir(tree.src, { recursive: true });
  const r = await git(tree, ['-c', 'advice.detachedHead=false', '-c', 'core.autocrlf=false', '-c', 'checkout.workers=0',
    `--work-tree=${tree.src}`, 'checkout', '--quiet', '--force', '--detach', sha, '--'], logPath);
  mustGit(r, `git checkout ${sha.slice(0, 12)}`, logPath);
  if (state.touched.length > 0) await writeState(tree, { touched: [] });
}

/** Write the patch stage's output into the checkout, remembering what to undo before the next commit. */
export async function writePatchedFiles(tree: BisectTree, patched: PatchedFiles): Promise<void> {
  if (patched.touched.length === 0) return;
  const state = await readState(tree);
  await writeState(tree, { touched: [...new Set([...state.touched, ...patched.touched])].sort() });
  await writeTouchedFiles(tree.src, patched);
}

/**
 * What `make tinyconfig` + our fragments depend on at `sha`: every Kconfig
 * file, the kconfig tool and the config fragments in the tree. Two commits
 * with equal inputs configure identically, so the build skips configuring.
 */
export async function kconfigInputs(tree: BisectTree, sha: string): Promise<string> {
  const r = mustGit(await git(tree, ['ls-tree', '-r', '--full-tree', sha]), `git ls-tree ${sha.slice(0, 12)}`);
  const lines = r.stdout.split('\n').filter((l) => {
    const path = l.split('\t')[1] ?? '';
    const base = path.split('/').pop() ?? '';
    return base.startsWith('Kconfig') || path.startsWith('scripts/kconfig/') || /\/configs\/[^/]+\.config$/.test(path) || path === 'Makefile';
  });
  return hashValue(lines);
}
