// The chain every user of a kernel shares: source -> patch -> config ->
// build -> image. A matrix cell continues with its suites; `exec`/`shell`
// boot the result; `bench` times the build. Each step is a stage
// (stage.ts): a typed output, or the first failure that ends the chain.
import { join, relative } from 'node:path';
import type { ArchProfile } from '../arch/profile.ts';
import type { Ctx, StageResult } from '../stage.ts';
import { runStage } from '../stage.ts';
import type { CellPlan } from '../plan/config.ts';
import type { StageRecord } from '../results/types.ts';
import type { KernelSource } from '../source/types.ts';
import { fetchSource } from '../source/fetch.ts';
import { loadPatchFiles, type PatchFile } from '../patch/series.ts';
import { applyPatches, effectivePatches, PatchError, type ApplyOptions, type PatchedFiles, type PatchReport } from '../patch/apply.ts';
import { buildKernel, type KernelBuild, type KernelBuildRequest } from '../kbuild/build-kernel.ts';
import { buildGuestImage, type GuestImage } from '../guest/image.ts';

export interface PrepareRequest {
  plan: CellPlan;
  arch: ArchProfile;
  /** Where relative patch paths resolve from (the config's directory). */
  baseDir: string;
  /** Where the stage logs go (a cell directory, or a scratch dir for exec). */
  logDir: string;
  rebuild?: boolean;
  /** A caller that keeps its own tree (bisect: one git work tree, a commit per step); default: the source providers and the build cache. */
  tree?: TreeStages;
}

/**
 * Where the source stage gets its tree and how the build stage builds it.
 * The default fetches `plan.kernel.source` (source/fetch.ts) and builds in
 * the per-source work tree (kbuild/build-kernel.ts); the chain around them
 * (patch, image, and the cell's suites) is the same whoever provides them.
 */
export interface TreeStages {
  /** Short text for the source stage's progress line. */
  label: string;
  fetch(ctx: Ctx, logPath: string): Promise<KernelSource>;
  build(ctx: Ctx, req: KernelBuildRequest): Promise<KernelBuild>;
}

export interface PreparedKernel {
  source: KernelSource;
  patches: PatchFile[];
  patched: PatchedFiles;
  /** What the patch stage made of each message, also when the series did not apply. */
  patchReport: PatchReport;
  build: KernelBuild;
  image: GuestImage;
}

/** Every stage that ran, in order, and either the outputs or the stage that failed. */
export type PrepareOutcome =
  | { ok: true; stages: StageResult<unknown>[]; kernel: PreparedKernel }
  | { ok: false; stages: StageResult<unknown>[]; failed: StageResult<unknown>; partial: Partial<PreparedKernel> };

/** The patch stage: load the variant's series and apply it to the source (patch/apply.ts). */
export async function patchStage(source: KernelSource, patchPaths: readonly string[], baseDir: string, logPath: string, opts: ApplyOptions = {}): Promise<{ patches: PatchFile[]; patched: PatchedFiles }> {
  const patches = await loadPatchFiles(patchPaths, baseDir);
  return { patches, patched: await applyPatches(source, patches, logPath, opts) };
}

export async function prepareKernel(ctx: Ctx, req: PrepareRequest): Promise<PrepareOutcome> {
  const { plan, arch, logDir } = req;
  const stages: StageResult<unknown>[] = [];
  const partial: Partial<PreparedKernel> = {};
  const step = async <T>(r: Promise<StageResult<T>>): Promise<T | undefined> => {
    const done = await r;
    stages.push(done);
    return done.status === 'ok' ? done.output : undefined;
  };
  const fail = (): PrepareOutcome => ({ ok: false, stages, failed: stages[stages.length - 1] as StageResult<unknown>, partial });

  const fetch = req.tree?.fetch ?? ((c: Ctx, log: string) => fetchSource(c, plan.kernel.source, log));
  const buildIt = req.tree?.build ?? buildKernel;
  const sourceLog = join(logDir, 'source.log');
  const source = await step(runStage(ctx, 'source', req.tree?.label ?? plan.kernel.source.provider, () => fetch(ctx, sourceLog), sourceLog));
  if (!source) return fail();
  partial.source = source;

  const patchLog = join(logDir, 'patch.log');
  const series = await step(runStage(ctx, 'patch', `${plan.variant.patches.length} patch file(s)`, async () => {
    // Loaded first and kept: a series that does not apply is still recorded (paths, sha256s, subjects).
    partial.patches = await loadPatchFiles(plan.variant.patches, req.baseDir);
    return { patches: partial.patches, patched: await applyPatches(source, partial.patches, patchLog, { repair: plan.variant.repair }) };
  }, patchLog));
  if (!series) {
    const err = stages[stages.length - 1]?.error;
    if (err instanceof PatchError) partial.patchReport = err.report;
    return fail();
  }
  Object.assign(partial, series, { patchReport: series.patched.report });

  const buildLog = join(logDir, 'build.log');
  // A repaired message is built (and cached) as what was applied, not as the file that holds it.
  const built = effectivePatches(series.patches, series.patched.report);
  const build = await step(runStage(ctx, 'build', `${source.kernelVersion} ${arch.name} ${plan.variant.name}`,
    () => buildIt(ctx, { source, arch, variant: plan.variant.name, patches: built, patched: series.patched, rebuild: req.rebuild, logPath: buildLog }), buildLog));
  if (!build) return fail();
  partial.build = build;

  const imageLog = join(logDir, 'image.log');
  const image = await step(runStage(ctx, 'image', arch.debianArch, () => buildGuestImage(ctx, arch, imageLog), imageLog));
  if (!image) return fail();
  return { ok: true, stages, kernel: { source, patches: series.patches, patched: series.patched, patchReport: series.patched.report, build, image } };
}

/**
 * The records a cell keeps of these stages, logs relative to its directory.
 * A fresh build is two stages for the reader: config (olddefconfig and the
 * option check) and build (make); a cached one is a single lookup.
 */
export function stageRecords(stages: readonly StageResult<unknown>[], cellDir: string): StageRecord[] {
  return stages.flatMap((s): StageRecord[] => {
    const log = s.logPath ? relative(cellDir, s.logPath) : undefined;
    const build = s.stage === 'build' && s.status === 'ok' ? (s.output as KernelBuild) : null;
    if (build && !build.cached) {
      return [
        { stage: 'config', status: 'ok', durationMs: build.configMs, log },
        { stage: 'build', status: 'ok', durationMs: s.durationMs - build.configMs, log },
      ];
    }
    return [{ stage: s.stage, status: s.status, durationMs: s.durationMs, log }];
  });
}
