import { readdir, mkdir, cp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { RunSummary } from '../results/types.ts';
import { readJson } from '../util/fs.ts';
import { loadCellResults, summarize, harnessVersion, orderCells, plannedCells, type RunState } from '../matrix/run.ts';
import { filterCells, loadMatrixConfig, planCells, type MatrixConfig } from '../matrix/config.ts';
import type { PlannedCell } from '../results/types.ts';
import { writeReports } from '../report/write.ts';
import { parseOrThrow, type CliContext } from './main.ts';

/** Re-derive everything from the per-cell records of a run directory. */
export async function reportCommand(c: CliContext): Promise<number> {
  const { positionals } = parseOrThrow({ args: c.argv, options: {}, allowPositionals: true, strict: true });
  const dir = positionals[0] ? resolve(positionals[0]) : undefined;
  if (!dir || !existsSync(join(dir, 'cells'))) throw new UserError('USAGE', `report needs a run directory with cells/ (got ${dir ?? 'nothing'})`);
  const prev = await readJson<RunSummary>(join(dir, 'results.json'));
  const state = await readJson<RunState>(join(dir, 'run.json'));
  const cfg = existsSync(join(dir, 'config.yaml')) ? loadMatrixConfig(join(dir, 'config.yaml')) : null;
  const loaded = await loadCellResults(dir);
  // What the run had to produce: recorded when it started (an interrupted run too), else re-planned from its config.
  const plan = state?.plan ?? prev?.plan ?? (cfg ? plannedCells(filterCells(cfg, planCells(cfg), state?.filter ?? {})) : loaded.map(asPlanned));
  const cells = cfg ? orderCells(loaded, planCells(cfg)) : loaded;
  const summary = await summarize(
    cfg ? { ...cfg, file: prev?.config.file ?? cfg.file } : { file: prev?.config.file ?? '?', name: prev?.config.name ?? '?', sha256: prev?.config.sha256 ?? '?', expectations: [], variants: [] },
    plan, cells, prev?.runId ?? dir.split('/').pop() ?? 'run', prev?.startedAt ?? new Date().toISOString(), prev?.shard ?? state?.shard ?? null, state?.filter ?? prev?.filter ?? {});
  await writeReports(dir, summary);
  process.stdout.write(`${await readFile(join(dir, 'matrix.md'), 'utf8')}\n`);
  return summary.overall.exitCode;
}

/** Combine shard run directories; they must come from the same config and harness version. */
export async function mergeCommand(c: CliContext): Promise<number> {
  const { values, positionals } = parseOrThrow({ args: c.argv, options: { out: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length === 0 || !values.out) throw new UserError('USAGE', 'merge needs shard run directories and --out DIR');
  const runs: { dir: string; summary: RunSummary }[] = [];
  for (const p of positionals) {
    const dir = resolve(p);
    const s = await readJson<RunSummary>(join(dir, 'results.json'));
    if (!s) throw new UserError('MERGE_INPUT', `${dir} has no readable results.json`);
    runs.push({ dir, summary: s });
  }
  const first = runs[0]!.summary;
  for (const r of runs) {
    if (r.summary.config.sha256 !== first.config.sha256) throw new UserError('MERGE_MISMATCH', `${r.dir} ran config ${r.summary.config.sha256.slice(0, 12)} but ${runs[0]!.dir} ran ${first.config.sha256.slice(0, 12)}: shards of different configs cannot be merged`);
    if (r.summary.harnessVersion !== first.harnessVersion) throw new UserError('MERGE_MISMATCH', `${r.dir} was made by kvmatrix ${r.summary.harnessVersion}, ${runs[0]!.dir} by ${first.harnessVersion}`);
  }
  const out = resolve(values.out);
  await mkdir(join(out, 'cells'), { recursive: true });
  const seen = new Set<string>();
  for (const r of runs) {
    for (const d of await readdir(join(r.dir, 'cells'))) {
      if (seen.has(d)) throw new UserError('MERGE_OVERLAP', `cell ${d} appears in more than one shard`);
      seen.add(d);
      await cp(join(r.dir, 'cells', d), join(out, 'cells', d), { recursive: true });
    }
  }
  if (existsSync(join(runs[0]!.dir, 'config.yaml'))) await cp(join(runs[0]!.dir, 'config.yaml'), join(out, 'config.yaml'));
  const cfg = existsSync(join(out, 'config.yaml')) ? loadMatrixConfig(join(out, 'config.yaml')) : null;
  const loaded = await loadCellResults(out);
  // Same cell order as a single run of the config, and the same plan: a missing shard leaves the merge INCOMPLETE.
  const cells = cfg ? orderCells(loaded, planCells(cfg)) : loaded;
  const plan = cfg ? unshardedPlan(cfg, runs.map((r) => r.summary)) : runs.flatMap((r) => r.summary.plan ?? r.summary.cells.map(asPlanned));
  const summary = await summarize(
    cfg ? { ...cfg, file: first.config.file, sha256: first.config.sha256 } : { file: first.config.file, name: first.config.name, sha256: first.config.sha256, expectations: [], variants: [] },
    plan, cells, `merged-${first.runId}`, first.startedAt, null, first.filter ?? {});
  if (summary.harnessVersion !== harnessVersion()) c.ctx.report({ kind: 'warn', text: `merging results of kvmatrix ${first.harnessVersion} with ${harnessVersion()}` });
  await writeReports(out, summary);
  process.stdout.write(`${await readFile(join(out, 'matrix.md'), 'utf8')}\n`);
  return summary.overall.exitCode;
}

function asPlanned(c: { id: string; kernel: { id: string }; arch: string; variant: { name: string }; repeat: number }): PlannedCell {
  return { id: c.id, kernel: c.kernel.id, arch: c.arch, variant: c.variant.name, repeat: c.repeat };
}

/** Every cell of the shards' common selection, without sharding: what the merged run must hold. */
function unshardedPlan(cfg: MatrixConfig, shards: RunSummary[]): PlannedCell[] {
  const filters = new Set(shards.map((s) => JSON.stringify(s.filter ?? {})));
  if (filters.size > 1) throw new UserError('MERGE_MISMATCH', `the shards were run with different --kernel/--arch/--variant selections (${[...filters].join(' vs ')}): they are not parts of one run`);
  return plannedCells(filterCells(cfg, planCells(cfg), shards[0]?.filter ?? {}));
}
