// Run a matrix: plan cells, resume what an interrupted run finished, run the
// rest with bounded concurrency (a failed cell never stops the others), write
// each cell's result as it finishes, then compare and render reports.
import { cpus, freemem, machine, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Ctx } from '../stage.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { getArch } from '../arch/profile.ts';
import { filterCells, planCells, type CellFilter, type CellPlan, type MatrixConfig } from '../plan/config.ts';
import { shardCells } from '../plan/shard.ts';
import { cellTimeKey, longestFirst, readCellTimes, recordCellTime } from './cell-times.ts';
import { runCell } from '../pipeline/cell.ts';
import { cellDirName } from '../results/paths.ts';
import { RESULTS_SCHEMA, type CellResult, type PlannedCell, type RunSummary } from '../results/types.ts';
import { compare, overallVerdict } from '../compare/verdict.ts';
import { readJson, writeFileAtomically } from '../util/fs.ts';
import { resultsRoot, repoRoot } from '../util/paths.ts';
import { writeReports } from '../report/write.ts';

export interface MatrixRunRequest {
  config: MatrixConfig;
  filter: CellFilter;
  shard?: { index: number; count: number };
  jobs?: number;
  accel?: AccelPolicy;
  rebuild?: boolean;
  force?: boolean;
  outDir?: string;
  /** The run's id when the caller named its directory already (validate); default: time and config name. */
  runId?: string;
  extraCmdline?: string[];
}

export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Bounded by cores (builds use make -j) and memory (each guest takes ~0.6 GB plus build headroom). */
export function defaultJobs(): number {
  const byMem = Math.floor(totalmem() / (4 * 1024 ** 3));
  return Math.max(1, Math.min(cpus().length, byMem, 4));
}

export interface RunState {
  runId: string;
  configSha256: string;
  filter: CellFilter;
  shard: { index: number; count: number } | null;
  complete: boolean;
  startedAt: string;
  /** Every cell this run must produce, written before the first one starts: `report` on an interrupted run knows what is missing. */
  plan?: PlannedCell[];
}

function newRunId(cfg: MatrixConfig): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${t}-${cfg.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** Resume into results/latest when it is an unfinished run of the same config and selection. */
async function chooseRunDir(req: MatrixRunRequest): Promise<{ dir: string; state: RunState; resumed: boolean }> {
  const filterKey = JSON.stringify(req.filter);
  if (req.outDir) {
    const dir = resolve(req.outDir);
    const prev = await readJson<RunState>(join(dir, 'run.json'));
    if (prev && !req.force && prev.configSha256 === req.config.sha256) return { dir, state: { ...prev, complete: false }, resumed: true };
    return { dir, state: fresh(req), resumed: false };
  }
  const latest = join(resultsRoot(), 'latest');
  if (!req.force && existsSync(latest)) {
    const dir = resolve(resultsRoot(), await readlink(latest));
    const prev = await readJson<RunState>(join(dir, 'run.json'));
    if (prev && !prev.complete && prev.configSha256 === req.config.sha256 && JSON.stringify(prev.filter) === filterKey &&
        JSON.stringify(prev.shard) === JSON.stringify(req.shard ?? null)) {
      return { dir, state: prev, resumed: true };
    }
  }
  const state = fresh(req);
  return { dir: join(resultsRoot(), state.runId), state, resumed: false };
}

function fresh(req: MatrixRunRequest): RunState {
  return { runId: req.runId ?? newRunId(req.config), configSha256: req.config.sha256, filter: req.filter, shard: req.shard ?? null, complete: false, startedAt: new Date().toISOString() };
}

async function pool<T>(items: T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await worker(item);
    }
  });
  await Promise.all(runners);
}

export async function loadCellResults(runDir: string): Promise<CellResult[]> {
  const cellsDir = join(runDir, 'cells');
  if (!existsSync(cellsDir)) return [];
  const out: CellResult[] = [];
  for (const d of (await readdir(cellsDir)).sort()) {
    const r = await readJson<CellResult>(join(cellsDir, d, 'result.json'));
    if (r && r.schema === RESULTS_SCHEMA) out.push(r);
  }
  return out;
}

export function orderCells(cells: CellResult[], plan: CellPlan[]): CellResult[] {
  const idx = new Map(plan.map((p, i) => [p.id, i]));
  return [...cells].sort((a, b) => (idx.get(a.id) ?? 1e9) - (idx.get(b.id) ?? 1e9) || (a.id < b.id ? -1 : 1));
}

/** The plan as the record keeps it: what each cell is, without the config objects. */
export function plannedCells(plans: readonly CellPlan[]): PlannedCell[] {
  return plans.map((p) => ({ id: p.id, kernel: p.kernel.id, arch: p.arch, variant: p.variant.name, repeat: p.repeat }));
}

/**
 * The run's record: the comparison of what is there against everything that
 * was planned. `complete` only when every planned cell has a result.
 */
export async function summarize(
  config: Pick<MatrixConfig, 'file' | 'name' | 'sha256' | 'expectations' | 'variants'>,
  plan: readonly PlannedCell[], cells: CellResult[], runId: string, startedAt: string, shard: RunSummary['shard'], filter: CellFilter = {},
): Promise<RunSummary> {
  const matrix = compare({ plan, cells, expectations: config.expectations, variants: config.variants.map((v) => v.name) });
  const qemu: Record<string, string> = {};
  for (const c of cells) if (c.qemuVersion) qemu[c.arch] = c.qemuVersion;
  const have = new Set(cells.map((c) => c.id));
  const complete = plan.every((p) => have.has(p.id));
  return {
    schema: RESULTS_SCHEMA,
    harnessVersion: harnessVersion(),
    runId,
    config: { file: config.file, name: config.name, sha256: config.sha256 },
    host: { arch: machine(), cpus: cpus().length, memoryGb: Math.round(totalmem() / 1024 ** 3), qemu },
    startedAt,
    finishedAt: complete ? new Date().toISOString() : null,
    complete,
    shard,
    filter,
    plan: [...plan],
    cells,
    matrix,
    overall: overallVerdict(matrix, plan, cells),
  };
}

export async function runMatrix(ctx: Ctx, req: MatrixRunRequest): Promise<{ runDir: string; summary: RunSummary }> {
  const cfg = req.config;
  let cells = filterCells(cfg, planCells(cfg), req.filter);
  for (const a of new Set(cells.map((c) => c.arch))) getArch(a); // unknown arch: fail before any work
  if (req.shard) cells = shardCells(cells, req.shard.index, req.shard.count, machine());
  const { dir, state, resumed } = await chooseRunDir(req);
  state.plan = plannedCells(cells);
  // A fresh run in a reused --out dir must not inherit old cells.
  if (!resumed) await rm(join(dir, 'cells'), { recursive: true, force: true });
  await mkdir(join(dir, 'cells'), { recursive: true });
  await writeFileAtomically(join(dir, 'run.json'), JSON.stringify(state, null, 2));
  await writeFileAtomically(join(dir, 'config.yaml'), readFileSync(cfg.file));
  if (!req.outDir) {
    const latest = join(resultsRoot(), 'latest');
    await rm(latest, { force: true });
    await symlink(state.runId, latest);
  }
  const done = new Set((await loadCellResults(dir)).map((c) => c.id));
  const todo = cells.filter((c) => !done.has(c.id));
  ctx.report({ kind: 'info', text: `${resumed ? 'resuming' : 'starting'} run ${dir}: ${cells.length} cell(s), ${todo.length} to run${resumed ? `, ${cells.length - todo.length} kept from before` : ''}; free memory ${(freemem() / 1024 ** 3).toFixed(1)} GB` });
  const jobs = req.jobs ?? defaultJobs();
  let finished = 0;
  const times = await readCellTimes(ctx.cacheDir);
  const timeKey = (id: string) => cellTimeKey(cfg.name, id);
  // Order only matters with parallel slots; one slot keeps plan order (what --jobs 1 users expect), and
  // --rebuild is a cold run: plan order, base before patched, keeps the patched builds incremental.
  await pool(req.rebuild || jobs < 2 ? todo : longestFirst(todo, times, timeKey), jobs, async (plan) => {
    const result = await runCell(ctx, {
      plan, config: cfg, cellDir: join(dir, 'cells', cellDirName(plan.id)), accel: req.accel ?? cfg.accel, rebuild: req.rebuild, extraCmdline: req.extraCmdline,
    });
    await recordCellTime(ctx.cacheDir, times, timeKey(plan.id), result.durationMs);
    finished++;
    ctx.report({ kind: 'info', cell: plan.id, text: `cell finished: ${result.state}${result.error ? ` [${result.error.code}]` : ''} (${finished}/${todo.length})` });
  });
  const ids = new Set(cells.map((c) => c.id));
  const all = orderCells((await loadCellResults(dir)).filter((c) => ids.has(c.id)), cells);
  state.complete = all.length === cells.length;
  await writeFileAtomically(join(dir, 'run.json'), JSON.stringify(state, null, 2));
  const summary = await summarize(cfg, state.plan, all, state.runId, state.startedAt, req.shard ?? null, req.filter);
  await writeReports(dir, summary);
  return { runDir: dir, summary };
}
