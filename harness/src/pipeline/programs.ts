// The selftest-build stage: every suite's programs for this tree and arch.
// A suite that fails to build is that suite's result (each of its programs
// 'not-built', with the error that says whose fault it is), never the end
// of the cell: the other suites still run.
import { resolve } from 'node:path';
import type { ArchProfile } from '../arch/profile.ts';
import { InfraError, KvmatrixError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import type { MatrixConfig, SuiteEntry } from '../plan/config.ts';
import type { ErrorRecord, ProgramStatus } from '../results/types.ts';
import type { KernelSource } from '../source/types.ts';
import { buildSelftest } from '../guest/selftest-build.ts';
import { loadKselftestCatalog } from '../kselftest/catalog.ts';
import { compileKselftests, planKselftests } from '../kselftest/build.ts';

export function errorRecord(err: KvmatrixError): ErrorRecord {
  return { kind: err.kind, code: err.code, stage: err.stage, message: err.message, hint: err.hint, logTail: err.logTail };
}

/** One program to run in the guest; a suite is one (our selftest) or many (kselftests). */
export interface Runnable {
  /** Prefix of its case ids: "softdirty-uffdwp" or "kselftest-mm/soft-dirty". */
  label: string;
  path: string;
  args: string[];
  timeoutMs: number;
  setup: string[];
}

export interface SuitePrograms {
  runnables: Runnable[];
  /** Every program of every suite, with what became of it; the comparison needs all of them. */
  programs: ProgramStatus[];
  /** Programs that do not apply to this tree/arch: reported as skips with the reason, never dropped. */
  skipped: { label: string; reason: string }[];
}

/**
 * Build one suite's programs. A failure is that suite's result (every program
 * of it 'not-built', with the error), never the end of the cell: the other
 * suites still run.
 */
async function suitePrograms(ctx: Ctx, cfg: MatrixConfig, arch: ArchProfile, source: KernelSource, suite: SuiteEntry, logPath: string): Promise<SuitePrograms> {
  const ready = (label: string): ProgramStatus => ({ label, status: 'ready' });
  switch (suite.kind) {
    case 'binary':
      return { runnables: [{ label: suite.name, path: resolve(cfg.baseDir, suite.path), args: suite.args, timeoutMs: suite.timeoutMs, setup: [] }], programs: [ready(suite.name)], skipped: [] };
    case 'c-source': {
      try {
        const bin = await buildSelftest(ctx.cacheDir, arch, resolve(cfg.baseDir, suite.source), logPath);
        return { runnables: [{ label: suite.name, path: bin.path, args: suite.args, timeoutMs: suite.timeoutMs, setup: [] }], programs: [ready(suite.name)], skipped: [] };
      } catch (err) {
        return { runnables: [], programs: [notBuilt(suite.name, err)], skipped: [] };
      }
    }
    case 'kselftest': {
      const label = (name: string) => `${suite.name}/${name}`;
      let plan: ReturnType<typeof planKselftests>;
      try {
        const catalog = loadKselftestCatalog(resolve(cfg.baseDir, suite.catalog)).filter((p) => !suite.only || suite.only.includes(p.name));
        plan = planKselftests(source, arch, catalog);
      } catch (err) {
        return { runnables: [], programs: [notBuilt(suite.name, err)], skipped: [] };
      }
      const skippedAtPlan = plan.skipped.map((k) => ({ label: label(k.name), reason: k.reason }));
      const asSkipped = (k: { label: string }): ProgramStatus => ({ label: k.label, status: 'skipped' });
      try {
        const { built, skipped } = await compileKselftests(ctx.cacheDir, source, arch, plan.planned, logPath);
        const skippedAll = [...skippedAtPlan, ...skipped.map((k) => ({ label: label(k.name), reason: k.reason }))];
        return {
          runnables: built.map((b) => ({ label: label(b.name), path: b.path, args: b.args, timeoutMs: b.timeoutMs, setup: b.setup })),
          programs: [...built.map((b) => ready(label(b.name))), ...skippedAll.map(asSkipped)],
          skipped: skippedAll,
        };
      } catch (err) {
        return { runnables: [], programs: [...plan.planned.map((p) => notBuilt(label(p.program.name), err)), ...skippedAtPlan.map(asSkipped)], skipped: skippedAtPlan };
      }
    }
  }
}

function notBuilt(label: string, err: unknown): ProgramStatus {
  const e = err instanceof KvmatrixError ? err : new InfraError('INTERNAL', `building ${label} failed: ${err instanceof Error ? err.message : String(err)}`, { stage: 'selftest-build', cause: err });
  return { label, status: 'not-built', error: errorRecord(e) };
}

/** Every suite of the config, one after the other; never throws for a suite's own failure. */
export async function buildPrograms(ctx: Ctx, cfg: MatrixConfig, arch: ArchProfile, source: KernelSource, logPath: string): Promise<SuitePrograms> {
  const out: SuitePrograms = { runnables: [], programs: [], skipped: [] };
  for (const suite of cfg.suites) {
    const p = await suitePrograms(ctx, cfg, arch, source, suite, logPath);
    for (const failed of p.programs.filter((x) => x.status === 'not-built')) {
      ctx.report({ kind: 'warn', cell: ctx.cell, text: `${failed.label} not built: [${failed.error?.code}] ${failed.error?.message.split('\n')[0]}` });
    }
    out.runnables.push(...p.runnables);
    out.programs.push(...p.programs);
    out.skipped.push(...p.skipped);
  }
  return out;
}
