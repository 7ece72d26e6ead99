// One cell of the matrix, (kernel, arch, variant), as a straight chain of
// stages: source -> patch -> config -> build -> image (prepare.ts) ->
// selftest-build (programs.ts) -> boot -> run -> parse (guest-run.ts). The
// chain stops at the first failure; the cell's record is assembled from the
// stage values at the end, and written with its raw logs (build, console,
// suite output) so the verdict can be re-derived offline.
import { join, relative } from 'node:path';
import { copyFile, mkdir } from 'node:fs/promises';
import { getArch } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import type { Ctx } from '../stage.ts';
import { runStage } from '../stage.ts';
import type { CellPlan, MatrixConfig } from '../plan/config.ts';
import type { CellResult, PatchRecord, SuiteRun } from '../results/types.ts';
import type { PatchReport } from '../patch/apply.ts';
import { RESULTS_SCHEMA } from '../results/types.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { prepareKernel, stageRecords, type PrepareOutcome, type TreeStages } from './prepare.ts';
import { buildPrograms, errorRecord, type SuitePrograms } from './programs.ts';
import { runInGuest, type GuestRun } from './guest-run.ts';
import { stateForFailure } from './classify.ts';

export interface CellRequest {
  plan: CellPlan;
  config: MatrixConfig;
  cellDir: string;
  accel: AccelPolicy;
  rebuild?: boolean;
  /** Extra kernel command line (fault tests). */
  extraCmdline?: string[];
  /** Source and build stages of a caller that keeps its own tree (bisect); see prepare.ts. */
  tree?: TreeStages;
}

/** What the stages produced; any part is absent when the chain stopped before it. */
export interface CellPieces {
  plan: CellPlan;
  baseDir: string;
  cellDir: string;
  prepared: PrepareOutcome;
  programs?: { value: SuitePrograms; durationMs: number; log: string } | null;
  guest?: GuestRun;
  startedAt: Date;
  finishedAt: Date;
}

export async function runCell(parent: Ctx, req: CellRequest): Promise<CellResult> {
  const { plan, cellDir } = req;
  const ctx: Ctx = { ...parent, cell: plan.id };
  const startedAt = new Date();
  await mkdir(cellDir, { recursive: true });
  const pieces = await runStages(ctx, req, startedAt);
  const result = assembleCellResult(pieces);
  await writeFileAtomically(join(cellDir, 'result.json'), JSON.stringify(result, null, 2));
  return result;
}

async function runStages(ctx: Ctx, req: CellRequest, startedAt: Date): Promise<CellPieces> {
  const { plan, config, cellDir } = req;
  const arch = getArch(plan.arch);
  const base = { plan, baseDir: config.baseDir, cellDir, startedAt };
  const prepared = await prepareKernel(ctx, { plan, arch, baseDir: config.baseDir, logDir: cellDir, rebuild: req.rebuild, tree: req.tree });
  if (!prepared.ok) return { ...base, prepared, finishedAt: new Date() };
  const { source, build, image } = prepared.kernel;
  await copyFile(join(build.dir, 'config'), join(cellDir, 'kernel.config'));
  // A cached build still leaves its log with the cell: every verdict keeps its evidence.
  if (build.cached) await copyFile(join(build.dir, 'build.log'), join(cellDir, 'build.log'));

  const log = join(cellDir, 'selftest-build.log');
  const built = await runStage(ctx, 'selftest-build', config.suites.map((s) => s.name).join(', '), () => buildPrograms(ctx, config, arch, source, log), log);
  if (built.status !== 'ok' || !built.output) {
    return { ...base, prepared: { ok: false, stages: [...prepared.stages, built], failed: built, partial: prepared.kernel }, finishedAt: new Date() };
  }
  const programs = { value: built.output, durationMs: built.durationMs, log };
  const guest = await runInGuest(ctx, {
    arch, kernelImage: build.image, image, runnables: programs.value.runnables, cellDir,
    accel: req.accel, bootMs: config.timeouts.bootMs, extraCmdline: req.extraCmdline,
  });
  return { ...base, prepared, programs, guest, finishedAt: new Date() };
}

/** The patch stage's report as the record keeps it: patch files relative to the config, evidence relative to the cell. */
export function patchRecord(r: PatchReport, baseDir: string, cellDir: string): PatchRecord {
  return {
    state: r.state,
    messages: r.messages.map((m) => ({
      file: relative(baseDir, m.file), index: m.index, subject: m.subject, state: m.state, notes: m.notes,
      ...(m.repaired ? { repaired: relative(cellDir, m.repaired.path) } : {}),
    })),
    evidence: r.evidence.map((e) => relative(cellDir, e)),
  };
}

/** The cell's record from its stage values. Pure. */
export function assembleCellResult(p: CellPieces): CellResult {
  const rel = (f: string) => relative(p.cellDir, f);
  const kernel = p.prepared.ok ? p.prepared.kernel : p.prepared.partial;
  const failed = p.prepared.ok ? null : p.prepared.failed;
  const error = failed?.error ?? null;
  const stages = [
    ...stageRecords(p.prepared.stages, p.cellDir),
    ...(p.programs ? [{ stage: 'selftest-build', status: 'ok' as const, durationMs: p.programs.durationMs, log: rel(p.programs.log) }] : []),
    ...(p.guest?.stages ?? []),
  ];
  const skipped: SuiteRun[] = (p.programs?.value.skipped ?? []).map((k) => ({
    suite: k.label, exitCode: null, timedOut: false, disconnected: false, durationMs: 0, outputLog: rel(p.programs?.log ?? ''), ktap: null,
    cases: [{ id: k.label, outcome: 'skip', reason: k.reason, metrics: {}, diagnostics: [] }],
  }));
  const build = kernel.build;
  return {
    schema: RESULTS_SCHEMA,
    id: p.plan.id,
    kernel: { id: p.plan.kernel.id, identity: kernel.source?.identity ?? null, version: kernel.source?.kernelVersion ?? null, release: build?.meta.release ?? null },
    arch: p.plan.arch,
    variant: { name: p.plan.variant.name, patches: (kernel.patches ?? []).map((f) => ({ path: relative(p.baseDir, f.path), sha256: f.sha256, subjects: f.messages.map((m) => m.subject) })) },
    repeat: p.plan.repeat,
    accel: p.guest?.accel ?? null,
    accelReason: p.guest?.accelReason ?? null,
    qemuVersion: p.guest?.qemuVersion ?? null,
    state: failed && error ? stateForFailure(failed.stage, error) : p.guest?.state ?? 'ok',
    error: error ? errorRecord(error) : p.guest?.error ?? null,
    ...(kernel.patchReport && kernel.patchReport.messages.length > 0 ? { patch: patchRecord(kernel.patchReport, p.baseDir, p.cellDir) } : {}),
    stages,
    build: build ? { key: build.key, cached: build.cached, durationMs: build.meta.durationMs, incremental: build.meta.incremental, compiledObjects: build.meta.compiledObjects.length, configSha256: build.meta.configSha256 } : null,
    boot: p.guest?.boot ?? null,
    suites: [...(p.guest?.suites ?? []), ...skipped],
    programs: p.programs?.value.programs ?? null,
    console: { log: p.guest?.console.log ?? null, findings: p.guest?.console.findings ?? [] },
    startedAt: p.startedAt.toISOString(),
    finishedAt: p.finishedAt.toISOString(),
    durationMs: p.finishedAt.getTime() - p.startedAt.getTime(),
  };
}
