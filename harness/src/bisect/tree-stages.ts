// The source and build stages of one bisection step (pipeline/prepare.ts's
// TreeStages): the source stage checks the commit out in the bisect work tree
// (repo.ts); the build stage looks the commit up in the build cache and
// otherwise builds incrementally in that tree's object dir for the arch,
// storing the result under the key a matrix cell of `git:<url>@<sha>` uses.
//
// A build interrupted by Ctrl-C or a timeout may leave a truncated object
// that make would take as up to date. A stamp written before configuring and
// removed only once make has exited by itself marks the window: the next
// build first deletes every file in the object dir newer than a stamp left
// behind, and make rebuilds exactly those.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource } from '../source/types.ts';
import { treeKernelVersion } from '../source/kernel-version.ts';
import { cachedBuild, compileIntoCache, kernelBuildKey, type KernelBuild, type KernelBuildRequest } from '../kbuild/build-kernel.ts';
import { hashValue } from '../util/hash.ts';
import type { TreeStages } from '../pipeline/prepare.ts';
import { checkoutCommit, kconfigInputs, writePatchedFiles, type BisectTree } from './repo.ts';

export const BUILDING_STAMP = '.kvmatrix-bisect-building';

export function objDirFor(tree: BisectTree, archName: string): string {
  return join(tree.dir, `obj-${archName}`);
}

/** The identity every cache key of this commit carries: the same a matrix's git source gives it. */
export function commitIdentity(url: string, sha: string): string {
  return `git:${url}@${sha}`;
}

export function bisectTreeStages(tree: BisectTree, commit: string): TreeStages {
  return {
    label: `checkout ${commit.slice(0, 12)}`,
    fetch: async (_ctx, logPath) => checkoutStage(tree, commit, logPath),
    build: async (ctx, req) => buildInTree(ctx, tree, commit, req),
  };
}

async function checkoutStage(tree: BisectTree, commit: string, logPath: string): Promise<KernelSource> {
  await checkoutCommit(tree, commit, logPath);
  const kernelVersion = await treeKernelVersion(tree.src);
  if (!kernelVersion) {
    throw new UserError('SOURCE_NOT_A_TREE', `${tree.url} at ${commit.slice(0, 12)} is not a kernel tree (no top-level Makefile with VERSION/PATCHLEVEL)`, { stage: 'source' });
  }
  return { identity: commitIdentity(tree.url, commit), tree: tree.src, kernelVersion };
}

async function buildInTree(ctx: Ctx, tree: BisectTree, commit: string, req: KernelBuildRequest): Promise<KernelBuild> {
  const k = await kernelBuildKey(req);
  if (!req.rebuild) {
    const hit = await cachedBuild(ctx, req, k.key);
    if (hit) return hit;
  }
  const obj = objDirFor(tree, req.arch.name);
  await mkdir(obj, { recursive: true });
  await dropInterruptedObjects(obj, req.logPath);
  const started = Date.now();
  await writePatchedFiles(tree, req.patched);
  const configKey = hashValue({ fragments: k.fragments.map((f) => [f.name, f.text]), compiler: k.compiler, arch: req.arch.name, kconfig: await kconfigInputs(tree, commit) });
  await writeFile(join(obj, BUILDING_STAMP), `${commit}\n`);
  try {
    const built = await compileIntoCache(ctx, req, { src: tree.src, obj }, k, configKey, started);
    await rm(join(obj, BUILDING_STAMP), { force: true });
    return built;
  } catch (err) {
    // make ran to its own end (a compile error): what it left is consistent.
    if (err instanceof UserError) await rm(join(obj, BUILDING_STAMP), { force: true });
    throw err;
  }
}

/** After an interrupted build: delete what it wrote (newer than its stamp), so make rebuilds it. */
export async function dropInterruptedObjects(obj: string, logPath: string): Promise<void> {
  const stamp = join(obj, BUILDING_STAMP);
  if (!existsSync(stamp)) return;
  const r = await run('find', [obj, '-newer', stamp, '-type', 'f', '-delete'], { logPath, timeoutMs: 10 * 60_000 });
  if (r.exitCode !== 0) throw new InfraError('BISECT_OBJ_CLEANUP', `could not remove the objects of an interrupted build in ${obj}`, { stage: 'build', logPath, logTail: r.stderr, hint: `delete ${obj} (the next build is then cold)` });
  await rm(stamp, { force: true });
}
