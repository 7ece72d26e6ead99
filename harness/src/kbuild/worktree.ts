// Per (source, arch) work directory: a hardlink farm of the pristine tree
// (seconds, no extra disk) plus a persistent object dir. Switching variants
// restores the files the previous patches touched (fresh copies with a new
// mtime, so make recompiles them) and writes the new series' files: a patched
// build after a base build recompiles only what the patch touches.
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { hashValue } from '../util/hash.ts';
import type { KernelSource } from '../source/types.ts';
import { writeTouchedFiles, type PatchedFiles } from '../patch/apply.ts';

export interface WorkTree {
  dir: string;
  src: string;
  obj: string;
  release: () => Promise<void>;
}

interface WorkState {
  identity: string;
  /** Files patched or created by the currently applied series. */
  touched: string[];
  appliedKey: string;
}

export function workDirFor(cacheDir: string, source: KernelSource, archName: string): string {
  return join(cacheDir, 'work', `${hashValue(source.identity).slice(0, 12)}-${archName}`);
}

/** Lock the work tree for one build at a time; callers must release(). */
export async function openWorkTree(cacheDir: string, source: KernelSource, archName: string, logPath: string): Promise<WorkTree> {
  const dir = workDirFor(cacheDir, source, archName);
  await mkdir(dir, { recursive: true });
  const release = await lockfile.lock(dir, { retries: { retries: 3600, minTimeout: 1000, maxTimeout: 2000 }, stale: 60000 });
  const src = join(dir, 'src');
  const obj = join(dir, 'obj');
  try {
    if (!existsSync(join(src, 'Makefile'))) {
      await rm(src, { recursive: true, force: true });
      const tmp = `${src}.tmp`;
      await rm(tmp, { recursive: true, force: true });
      const r = await run('cp', ['-al', source.tree, tmp], { logPath, timeoutMs: 10 * 60_000 });
      if (r.exitCode !== 0) {
        // Hardlinks need one filesystem; fall back to a real copy.
        await rm(tmp, { recursive: true, force: true });
        const c = await run('cp', ['-a', '--reflink=auto', source.tree, tmp], { logPath, timeoutMs: 30 * 60_000 });
        if (c.exitCode !== 0) throw new InfraError('WORKTREE_COPY', `copying ${source.tree} failed`, { stage: 'patch', logPath, logTail: c.stderr });
      }
      await rename(tmp, src);
      await writeState(dir, { identity: source.identity, touched: [], appliedKey: hashValue([]) });
    }
    await mkdir(obj, { recursive: true });
  } catch (err) {
    await release();
    throw err;
  }
  return { dir, src, obj, release };
}

async function readState(dir: string): Promise<WorkState | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as WorkState;
  } catch {
    return null;
  }
}

async function writeState(dir: string, s: WorkState): Promise<void> {
  await writeFile(join(dir, 'state.json.tmp'), JSON.stringify(s, null, 2));
  await rename(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
}

/** Replace `rel` in the work tree with its own inode so edits never reach the pristine tree. */
async function detach(src: string, pristine: string, rel: string): Promise<void> {
  const target = join(src, rel);
  await rm(target, { force: true });
  if (existsSync(join(pristine, rel))) {
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(pristine, rel), target);
  }
}

/**
 * Make the work tree hold `patched` on top of the pristine source: files the
 * previous series touched go back to pristine (fresh copies with a new mtime,
 * so make recompiles them), then the patch stage's output is written. Nothing
 * is applied here: the patch stage (patch/apply.ts) already did that.
 */
export async function writePatched(wt: WorkTree, source: KernelSource, patched: PatchedFiles): Promise<void> {
  const state = await readState(wt.dir);
  if (state && state.identity === source.identity && state.appliedKey === patched.key) return;
  for (const rel of state?.touched ?? []) await detach(wt.src, source.tree, rel);
  // A crash from here on leaves "partial": the next build restores every file either series touched.
  const union = [...new Set([...(state?.touched ?? []), ...patched.touched])].sort();
  await writeState(wt.dir, { identity: source.identity, touched: union, appliedKey: 'partial' });
  await writeTouchedFiles(wt.src, patched);
  await writeState(wt.dir, { identity: source.identity, touched: patched.touched, appliedKey: patched.key });
}
