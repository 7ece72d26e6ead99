// The config and build stages: cached lookup, else work tree (with the patch
// stage's files written in) -> config -> compile -> cache entry. One (source,
// arch) work tree is shared by all variants, so the patched build reuses the
// base build's objects.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchProfile } from '../arch/profile.ts';
import { compilerFor } from '../arch/host.ts';
import { run } from '../exec/run.ts';
import { existsSync } from 'node:fs';
import { InfraError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource } from '../source/types.ts';
import type { PatchFile } from '../patch/series.ts';
import { sha256, sha256File } from '../util/hash.ts';
import { writeDirAtomically } from '../util/fs.ts';
import { openWorkTree, writePatched, type WorkTree } from './worktree.ts';
import type { PatchedFiles } from '../patch/apply.ts';
import { compile, compiledObjects, configure } from './kbuild.ts';
import { fragmentsFor, type Fragment } from './fragments.ts';
import { buildKey, lookupBuild, removeEntry, type BuildMeta } from './cache.ts';

export interface KernelBuildRequest {
  source: KernelSource;
  arch: ArchProfile;
  variant: string;
  /** The series (its files' sha256s key the cache; the meta records them). */
  patches: PatchFile[];
  /** The patch stage's output: what the work tree must hold. */
  patched: PatchedFiles;
  /** Ignore a cached entry and build again. */
  rebuild?: boolean;
  /** Where this cell's build.log goes (copied into the cache entry too). */
  logPath: string;
}

export interface KernelBuild {
  key: string;
  dir: string;
  image: string;
  meta: BuildMeta;
  cached: boolean;
  /** This run's time in olddefconfig + option check and in make (0 for a cached build). */
  configMs: number;
  compileMs: number;
}

const compilerVersions = new Map<string, string>();

export async function compilerVersion(arch: ArchProfile): Promise<string> {
  const cc = compilerFor(arch);
  const known = compilerVersions.get(cc);
  if (known) return known;
  const r = await run(cc, ['--version']);
  if (r.exitCode !== 0) {
    throw new InfraError('COMPILER_MISSING', `${cc} not found or not working`, { stage: 'build', hint: `install ${arch.crossPackages.join(' ')} (npm run doctor)` });
  }
  const v = r.stdout.split('\n')[0]?.trim() ?? cc;
  compilerVersions.set(cc, v);
  return v;
}

/** A build's cache key and what went into it. */
export interface BuildKeyParts {
  key: string;
  fragments: Fragment[];
  compiler: string;
}

export async function kernelBuildKey(req: KernelBuildRequest): Promise<BuildKeyParts> {
  const fragments = await fragmentsFor(req.arch, req.source.kernelVersion);
  const compiler = await compilerVersion(req.arch);
  const key = buildKey({
    sourceIdentity: req.source.identity,
    patchSha256s: req.patches.map((p) => p.sha256),
    fragments: fragments.map((f) => ({ name: f.name, text: f.text })),
    arch: req.arch.name,
    makeTarget: req.arch.kernel.makeTarget,
    compiler,
  });
  return { key, fragments, compiler };
}

/** Long builds say how far they got every 20 s: objects compiled and the latest one. */
function buildProgress(ctx: Ctx): (chunk: string) => void {
  let compiled = 0;
  let last = '';
  let lastReport = Date.now();
  return (chunk) => {
    for (const m of chunk.matchAll(/^\s+CC\s+(\S+)/gm)) {
      compiled++;
      last = m[1] ?? last;
    }
    if (Date.now() - lastReport > 20_000) {
      lastReport = Date.now();
      ctx.report({ kind: 'info', cell: ctx.cell, stage: 'build', text: `${compiled} objects compiled (latest ${last})` });
    }
  };
}

export async function buildKernel(ctx: Ctx, req: KernelBuildRequest): Promise<KernelBuild> {
  const k = await kernelBuildKey(req);
  if (!req.rebuild) {
    const hit = await cachedBuild(ctx, req, k.key);
    if (hit) return hit;
  }
  const wt = await openWorkTree(ctx.cacheDir, req.source, req.arch.name, req.logPath);
  try {
    // Another run may have built it while we waited for the work tree.
    if (!req.rebuild) {
      const hit = await cachedBuild(ctx, req, k.key);
      if (hit) return hit;
    }
    const started = Date.now();
    await writePatched(wt, req.source, req.patched);
    const configKey = sha256(JSON.stringify(k.fragments.map((f) => [f.name, f.text])) + req.source.identity);
    return await compileIntoCache(ctx, req, wt, k, configKey, started);
  } finally {
    await wt.release();
  }
}

/**
 * Configure and compile `tree` (a source dir that already holds exactly what
 * `req` describes, and its object dir), then store the image, config and log
 * as the cache entry `k.key`. `configKey` says when the object dir's .config
 * can be reused as is. Shared by the per-source work trees (buildKernel) and
 * the bisect work tree, whose source changes commit by commit.
 */
export async function compileIntoCache(
  ctx: Ctx, req: KernelBuildRequest, tree: Pick<WorkTree, 'src' | 'obj'>, k: BuildKeyParts, configKey: string, started: number,
): Promise<KernelBuild> {
  const { key, fragments, compiler } = k;
  const built = await configureAndCompile(ctx, req, tree, fragments, configKey, started);
  const release = (await readFile(join(tree.obj, 'include/config/kernel.release'), 'utf8').catch(() => req.source.kernelVersion)).trim();
  const imageFile = req.arch.kernel.image.split('/').pop() ?? 'Image';
  const dir = join(ctx.cacheDir, 'builds', req.arch.name, key);
  let meta: BuildMeta | undefined;
  await writeDirAtomically(dir, async (tmp) => {
    await copyFile(join(tree.obj, req.arch.kernel.image), join(tmp, imageFile));
    await copyFile(join(tree.obj, '.config'), join(tmp, 'config'));
    await copyFile(join(tree.obj, 'System.map'), join(tmp, 'System.map')).catch(() => undefined);
    await copyFile(req.logPath, join(tmp, 'build.log'));
    const imageSha256 = await sha256File(join(tmp, imageFile));
    meta = entryMeta(req, { key, fragments, compiler, release, imageFile, imageSha256, started, built });
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
  });
  if (!meta) throw new InfraError('INTERNAL', 'cache entry was not written', { stage: 'build' });
  return { key, dir, image: join(dir, imageFile), meta, cached: false, configMs: built.configMs, compileMs: built.compileMs };
}

/** The cached build under `key`, or null; a corrupt entry is reported and removed so the build replaces it. */
export async function cachedBuild(ctx: Ctx, req: KernelBuildRequest, key: string): Promise<KernelBuild | null> {
  const found = await lookupBuild(ctx.cacheDir, req.arch.name, key);
  if (found.state === 'hit') return { key, dir: found.dir, image: join(found.dir, found.meta.imageFile), meta: found.meta, cached: true, configMs: 0, compileMs: 0 };
  if (found.state === 'corrupt') {
    ctx.report({ kind: 'warn', cell: ctx.cell, stage: 'build', text: `cache entry ${key} is corrupt (${found.reason}); rebuilding` });
    await removeEntry(ctx.cacheDir, req.arch.name, key);
  }
  return null;
}

/** What configuring and compiling the work tree produced, for the cache entry's meta. */
interface CompiledTree {
  configText: string;
  configMs: number;
  compileMs: number;
  /** The work tree held a vmlinux already: make only rebuilt what changed. */
  incremental: boolean;
  /** This compile's part of build.log (the log is shared with earlier stages). */
  logText: string;
}

async function configureAndCompile(ctx: Ctx, req: KernelBuildRequest, wt: Pick<WorkTree, 'src' | 'obj'>, fragments: Fragment[], configKey: string, started: number): Promise<CompiledTree> {
  const kreq = { arch: req.arch, src: wt.src, obj: wt.obj, fragments, logPath: req.logPath, onOutput: buildProgress(ctx) };
  const configText = await configure(kreq, configKey);
  const configMs = Date.now() - started;
  const incremental = existsSync(join(wt.obj, 'vmlinux'));
  const logBefore = (await readFile(req.logPath, 'utf8').catch(() => '')).length;
  await compile(kreq);
  const compileMs = Date.now() - started - configMs;
  const logText = (await readFile(req.logPath, 'utf8')).slice(logBefore);
  return { configText, configMs, compileMs, incremental, logText };
}

interface EntryFacts {
  key: string;
  fragments: Fragment[];
  compiler: string;
  release: string;
  imageFile: string;
  imageSha256: string;
  /** When this build started (before the patched files were written): durationMs counts from here. */
  started: number;
  built: CompiledTree;
}

/** The cache entry's meta.json; built once the image is in the entry, so builtAt and durationMs include copying it. */
function entryMeta(req: KernelBuildRequest, f: EntryFacts): BuildMeta {
  return {
    schema: 1,
    key: f.key,
    sourceIdentity: req.source.identity,
    kernelVersion: req.source.kernelVersion,
    release: f.release,
    arch: req.arch.name,
    variant: req.variant,
    patches: req.patches.map((p) => ({ path: p.path, sha256: p.sha256, subjects: p.messages.map((m) => m.subject) })),
    fragments: f.fragments.map((fr) => ({ name: fr.name, sha256: sha256(fr.text) })),
    configSha256: sha256(f.built.configText),
    compiler: f.compiler,
    imageFile: f.imageFile,
    imageSha256: f.imageSha256,
    builtAt: new Date().toISOString(),
    durationMs: Date.now() - f.started,
    incremental: f.built.incremental,
    compiledObjects: compiledObjects(f.built.logText),
    missingOptional: [],
  };
}
