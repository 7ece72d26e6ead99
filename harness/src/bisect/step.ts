// One bisection step: one cell (this commit or kernel, the arch, the variant,
// only the suite that holds the case) through the same chain as a matrix
// cell (pipeline/cell.ts), its record kept in the step's directory, and what
// it says about the range (outcome.ts). The guest stages already boot once
// more after an infrastructure failure; a step that failed for the
// infrastructure anywhere else (a tool, the image, the selftest build) is
// run once more here. The second outcome is final.
import { join, relative } from 'node:path';
import type { AccelPolicy } from '../arch/host.ts';
import type { Ctx } from '../stage.ts';
import type { CellPlan, MatrixConfig } from '../plan/config.ts';
import type { CellResult } from '../results/types.ts';
import { runCell } from '../pipeline/cell.ts';
import type { TreeStages } from '../pipeline/prepare.ts';
import { stepOutcome, termWord } from './outcome.ts';
import type { BisectStep, BisectTerms } from './record.ts';

export interface StepRequest {
  n: number;
  /** The commit sha, or the kernel id (versions). */
  commit: string;
  subject: string;
  plan: CellPlan;
  /** The config with only the case's suite. */
  config: MatrixConfig;
  caseId: string;
  terms: BisectTerms;
  runDir: string;
  accel: AccelPolicy;
  rebuild?: boolean;
  /** The bisect work tree's stages (commits); absent for versions (the kernel's own source). */
  tree?: TreeStages;
}

export function stepDirName(n: number, commit: string): string {
  return `steps/${String(n).padStart(2, '0')}-${commit.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 12)}`;
}

/** Did the infrastructure fail outside the guest stages (which retried already), or keep the suite from building? */
function retryable(cell: CellResult): boolean {
  if (cell.state === 'infra-error') return !['boot', 'run'].includes(cell.error?.stage ?? '');
  return (cell.programs ?? []).some((p) => p.status === 'not-built' && p.error?.kind === 'infra');
}

export async function runStep(parent: Ctx, req: StepRequest): Promise<{ step: BisectStep; cell: CellResult }> {
  const ctx: Ctx = { ...parent, cell: req.plan.id };
  const started = Date.now();
  const dir = join(req.runDir, stepDirName(req.n, req.commit));
  const attempt = (cellDir: string) => runCell(ctx, { plan: req.plan, config: req.config, cellDir, accel: req.accel, rebuild: req.rebuild, tree: req.tree });
  let cellDir = dir;
  let cell = await attempt(cellDir);
  let attempts = 1;
  if (retryable(cell)) {
    ctx.report({ kind: 'warn', cell: ctx.cell, text: `infrastructure error (${cell.error?.code}); running the step once more` });
    cellDir = join(dir, 'attempt2');
    cell = await attempt(cellDir);
    attempts = 2;
  }
  const { term, evidence } = stepOutcome(cell, req.caseId, req.terms);
  const rel = (p: string | null | undefined) => (p ? relative(req.runDir, join(cellDir, p)) : undefined);
  const suite = cell.suites.find((s) => req.caseId.startsWith(`${s.suite}/`));
  const stageMs: Record<string, number> = {};
  for (const s of cell.stages) stageMs[s.stage] = (stageMs[s.stage] ?? 0) + s.durationMs;
  const step: BisectStep = {
    n: req.n, commit: req.commit, subject: req.subject, term, said: termWord(term, req.terms), attempts,
    evidence: { ...evidence, logs: { dir: relative(req.runDir, cellDir), build: rel(cell.stages.find((s) => s.stage === 'build')?.log), console: rel(cell.console.log), output: rel(suite?.outputLog) } },
    build: cell.build ? { key: cell.build.key, cached: cell.build.cached, durationMs: cell.build.cached ? 0 : cell.build.durationMs, compiledObjects: cell.build.compiledObjects } : null,
    stageMs, durationMs: Date.now() - started, at: new Date(started).toISOString(),
  };
  return { step, cell };
}
