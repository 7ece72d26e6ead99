// A commit from a git repository. One shared bare mirror per URL
// (${cacheDir}/git/<hash(url)>.git) receives shallow fetches of the requested
// refs; each commit becomes a plain tree ${cacheDir}/sources/git-<sha12>.
//
// Trees are made with `git archive` + the tar package rather than
// `git worktree add`: a worktree cannot be created atomically (its admin
// entry in the mirror and its `.git` file point at each other, so it cannot be
// built in a temp dir and renamed), it is bookkeeping that `git worktree prune`
// and gc can break, and a `.git` file in the tree would make the kernel's
// scripts/setlocalversion append a "+" / "-g<sha>" suffix to the kernel
// release. An archive gives a pristine tree with no link back to the mirror.
import { join } from 'node:path';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { run, type RunResult } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { existsSync, writeDirAtomically } from '../util/fs.ts';
import { sha256 } from '../util/hash.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceProvider, SourceSpec } from './types.ts';
import { treeKernelVersion } from './kernel-version.ts';
import { assertArchiveSafe, extractArchive } from './archive.ts';
import { gitRefProblem, gitUrlProblem } from './git-url.ts';

type GitSpec = Extract<SourceSpec, { provider: 'git' }>;

/** Mutable so tests can shorten them. */
export const gitTuning = {
  fetchTimeoutMs: 60 * 60_000,
  localTimeoutMs: 15 * 60_000,
  progressIntervalMs: 2_000,
};

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function gitEnv(): Record<string, string> {
  return {
    // Never wait for a password or a host-key prompt.
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    // Stable (English) messages: we classify fetch failures by them.
    LC_ALL: 'C',
    LANGUAGE: 'C',
  };
}

function validate(spec: GitSpec): void {
  const problem = gitUrlProblem(spec.url) ?? gitRefProblem(spec.ref);
  if (problem) throw new UserError('SOURCE_SPEC', problem, { stage: 'source' });
}

const REF_NOT_FOUND = [
  /couldn't find remote ref/i,
  /not our ref/i,
  /no such remote ref/i,
  /unadvertised object/i,
  /not a valid object name/i,
  /invalid refspec/i,
  /upload-pack: not our ref/i,
  /fatal: remote error: .*(?:want|object).*(?:not|invalid)/i,
];

const REPO_NOT_FOUND = [
  /repository .* not found/i,
  /does not appear to be a git repository/i,
  /access denied or repository not exported/i,
  /no such repository/i,
];

function fetchFailure(spec: GitSpec, r: RunResult, logPath: string): Error {
  const tail = r.stderr.split(/[\r\n]+/).filter((l) => l.trim() !== '').slice(-20).join('\n');
  if (r.timedOut) {
    return new InfraError('GIT_TIMEOUT', `git fetch of ${spec.ref} from ${spec.url} timed out after ${gitTuning.fetchTimeoutMs / 60_000} min`, { stage: 'source', logPath, logTail: tail });
  }
  if (REF_NOT_FOUND.some((re) => re.test(r.stderr))) {
    return new UserError('GIT_REF_NOT_FOUND', `ref "${spec.ref}" not found in ${spec.url}`, {
      stage: 'source', logPath, logTail: tail,
      hint: 'use a branch, a tag or a full 40-character commit sha that exists in the repository (servers that only speak git protocol v0 may refuse a sha no branch or tag points at)',
    });
  }
  if (REPO_NOT_FOUND.some((re) => re.test(r.stderr))) {
    return new UserError('GIT_REPO_NOT_FOUND', `${spec.url} is not a reachable git repository`, { stage: 'source', logPath, logTail: tail, hint: 'check the url in the matrix config' });
  }
  return new InfraError('GIT_FETCH_FAILED', `git fetch of ${spec.ref} from ${spec.url} failed (exit ${r.exitCode ?? r.signal})`, { stage: 'source', logPath, logTail: tail });
}

async function git(mirror: string, args: string[], logPath: string, timeoutMs = gitTuning.localTimeoutMs): Promise<RunResult> {
  return run('git', [`--git-dir=${mirror}`, ...args], { env: gitEnv(), logPath, timeoutMs });
}

function mustSucceed(r: RunResult, what: string, logPath: string): RunResult {
  if (r.exitCode !== 0) {
    throw new InfraError('GIT_FAILED', `${what} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`})`, { stage: 'source', logPath, logTail: r.stderr.slice(-2000) });
  }
  return r;
}

/** git's --progress lines (\r-separated) as throttled info events. */
function progressForwarder(ctx: Ctx, label: string): (chunk: string) => void {
  let last = 0;
  return (chunk) => {
    const now = Date.now();
    if (now - last < gitTuning.progressIntervalMs) return;
    const line = chunk.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean).pop();
    if (!line) return;
    last = now;
    ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `${label}: ${line.replace(/^remote:\s*/, '')}` });
  };
}

async function lockPath(dir: string, lockFile: string) {
  await mkdir(dir, { recursive: true });
  // Lock the lock file's own path: proper-lockfile tracks locks per locked path,
  // so several lockfilePaths on one shared dir would get mixed up in one process.
  return lockfile.lock(lockFile.replace(/\.lock$/, ''), { realpath: false, retries: { retries: 3600, minTimeout: 500, maxTimeout: 2000 }, stale: 120000 });
}

async function cachedSource(tree: string, identity: string): Promise<KernelSource | null> {
  if (!existsSync(join(tree, 'Makefile'))) return null;
  const kernelVersion = await treeKernelVersion(tree);
  return kernelVersion ? { identity, tree, kernelVersion } : null;
}

/** Fetch `spec.ref` into the mirror (unless it is a commit already there) and return its commit sha. */
async function resolveCommit(ctx: Ctx, mirror: string, spec: GitSpec, logPath: string): Promise<string> {
  if (!existsSync(join(mirror, 'HEAD'))) {
    await writeDirAtomically(mirror, async (tmp) => {
      mustSucceed(await run('git', ['init', '--bare', '--quiet', tmp], { env: gitEnv(), logPath, timeoutMs: gitTuning.localTimeoutMs }), `git init --bare ${mirror}`, logPath);
    });
  }
  if (FULL_SHA.test(spec.ref) && (await git(mirror, ['cat-file', '-e', `${spec.ref}^{commit}`], logPath)).exitCode === 0) {
    return spec.ref;
  }
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `fetching ${spec.ref} from ${spec.url} (shallow)` });
  const r = await run('git', [
    '-c', 'protocol.ext.allow=never',
    // Abort an HTTP transfer that stalls below 1 KB/s for a minute.
    '-c', 'http.lowSpeedLimit=1000', '-c', 'http.lowSpeedTime=60',
    `--git-dir=${mirror}`, 'fetch', '--depth', '1', '--no-tags', '--progress', '--', spec.url, spec.ref,
  ], { env: gitEnv(), logPath, timeoutMs: gitTuning.fetchTimeoutMs, onOutput: progressForwarder(ctx, `git fetch ${spec.ref}`) });
  if (r.exitCode !== 0) throw fetchFailure(spec, r, logPath);
  const rev = await git(mirror, ['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}'], logPath);
  const sha = rev.stdout.trim();
  if (rev.exitCode !== 0 || !FULL_SHA.test(sha)) {
    throw new UserError('GIT_REF_NOT_FOUND', `ref "${spec.ref}" in ${spec.url} does not name a commit`, { stage: 'source', logPath });
  }
  if (FULL_SHA.test(spec.ref) && sha !== spec.ref) {
    throw new InfraError('GIT_FETCH_FAILED', `fetching ${spec.ref} from ${spec.url} produced commit ${sha}`, { stage: 'source', logPath });
  }
  // Keep the commit from being garbage-collected out of the mirror.
  mustSucceed(await git(mirror, ['update-ref', `refs/kvmatrix/${sha}`, sha], logPath), 'git update-ref', logPath);
  return sha;
}

/** `git archive` the commit to a temp tar, check it, unpack atomically into `tree`. */
async function materialize(ctx: Ctx, mirror: string, sha: string, tree: string, spec: GitSpec, logPath: string): Promise<void> {
  const sources = join(ctx.cacheDir, 'sources');
  await mkdir(sources, { recursive: true });
  const work = await mkdtemp(join(sources, '.git-archive-'));
  try {
    const tarFile = join(work, 'tree.tar');
    ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `exporting ${sha.slice(0, 12)} into the cache` });
    mustSucceed(await git(mirror, ['archive', '--format=tar', `--output=${tarFile}`, sha], logPath), `git archive ${sha}`, logPath);
    await assertArchiveSafe(tarFile, 0, `${spec.url}@${sha}`);
    await writeDirAtomically(tree, async (tmp) => {
      await extractArchive(tarFile, tmp, 0, `${spec.url}@${sha}`);
      if (!(await treeKernelVersion(tmp))) {
        throw new UserError('SOURCE_NOT_A_TREE', `${spec.url}@${spec.ref} (${sha}) is not a kernel tree (no top-level Makefile with VERSION/PATCHLEVEL)`, { stage: 'source' });
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export const gitProvider: SourceProvider<GitSpec> = {
  async fetch(ctx: Ctx, spec: GitSpec, logPath: string): Promise<KernelSource> {
    validate(spec);
    const sources = join(ctx.cacheDir, 'sources');
    const treeFor = (sha: string) => join(sources, `git-${sha.slice(0, 12)}`);
    const identityFor = (sha: string) => `git:${spec.url}@${sha}`;
    // A full sha names immutable content: a cached tree needs no network.
    if (FULL_SHA.test(spec.ref)) {
      const hit = await cachedSource(treeFor(spec.ref), identityFor(spec.ref));
      if (hit) return hit;
    }
    const gitDir = join(ctx.cacheDir, 'git');
    const mirror = join(gitDir, `${sha256(spec.url).slice(0, 16)}.git`);
    // Lock order: mirror, then tree (trees are shared between URLs).
    const releaseMirror = await lockPath(gitDir, `${mirror}.lock`);
    try {
      const sha = await resolveCommit(ctx, mirror, spec, logPath);
      const tree = treeFor(sha);
      const releaseTree = await lockPath(sources, `${tree}.lock`);
      try {
        const hit = await cachedSource(tree, identityFor(sha));
        if (hit) return hit;
        await materialize(ctx, mirror, sha, tree, spec, logPath);
      } finally {
        await releaseTree();
      }
      const kernelVersion = await treeKernelVersion(tree);
      if (!kernelVersion) throw new InfraError('SOURCE_BROKEN', `${tree} has no readable top-level Makefile`, { stage: 'source', hint: 'delete it and rerun' });
      return { identity: identityFor(sha), tree, kernelVersion };
    } finally {
      await releaseMirror();
    }
  },
};
