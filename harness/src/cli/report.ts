import { readdir, cp, readFile, realpath, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { UserError } from '../errors.ts';
import type { PlannedCell, RunSummary } from '../results/types.ts';
import { readCellRecords, readRunSummary } from '../results/read.ts';
import { writeDirAtomically } from '../util/fs.ts';
import { summarize, harnessVersion, orderCells, plannedCells, type RunState } from '../matrix/run.ts';
import { filterCells, loadMatrixConfig, planCells, type MatrixConfig } from '../plan/config.ts';
import { readJson } from '../util/fs.ts';
import { writeReports } from '../report/write.ts';
import { cliCommand, defineCommand, type CliContext } from './args.ts';
import { assertOutputDir } from './prepare.ts';

/** A run directory: an existing directory with cells/ in it. */
async function runDirArg(what: string, p: string): Promise<string> {
  const dir = resolve(p);
  const kind = await stat(dir).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing');
  if (kind !== 'dir') throw new UserError('NOT_A_RUN_DIR', `${what} ${dir} ${kind === 'missing' ? 'does not exist' : 'is not a directory'}`, { hint: 'give a run directory (results/<run-id>, or an --out DIR of kvmatrix matrix)' });
  const cells = await stat(join(dir, 'cells')).then((s) => s.isDirectory(), () => false);
  if (!cells) throw new UserError('NOT_A_RUN_DIR', `${what} ${dir} has no cells/ directory: it is not a run directory`, { hint: 'give a run directory (results/<run-id>, or an --out DIR of kvmatrix matrix)' });
  return dir;
}

function warnUnfinished(c: CliContext, dir: string, unfinished: string[], strays: string[]): void {
  if (unfinished.length) c.ctx.report({ kind: 'warn', text: `${dir}: ${unfinished.length} cell(s) never finished (no result.json): ${unfinished.join(', ')}` });
  for (const s of strays) c.ctx.report({ kind: 'warn', text: `ignoring ${s}: not a cell directory` });
}

const reportSpec = defineCommand({
  name: 'report',
  summary: 're-render matrix.md, report.html, junit.xml and results.json from a run\'s saved records',
  description: 'Re-derive the comparison and every report of a run from its per-cell records (cells/*/result.json) and config.yaml, offline. '
    + 'A record that exists but cannot be read or parsed stops it before anything is written (exit 2, or 69 for an I/O error).',
  positionals: [{ name: 'RUN_DIR', required: true, description: 'a run directory, e.g. results/latest' }],
  options: {},
  examples: ['kvmatrix report results/latest'],
});

/** Re-derive everything from the per-cell records of a run directory. */
export const reportCommand = cliCommand(reportSpec, async (c, { positionals }) => {
  const dir = await runDirArg('run directory', positionals[0] as string);
  // Read every input first: nothing is written unless all of it is sound.
  const prev = await readRunSummary(dir);
  const cfg = existsSync(join(dir, 'config.yaml')) ? loadMatrixConfig(join(dir, 'config.yaml')) : null;
  const records = await readCellRecords(dir);
  warnUnfinished(c, dir, records.unfinished, records.strays);
  const loaded = records.cells;
  const state = await readJson<RunState>(join(dir, 'run.json'));
  // What the run had to produce: recorded when it started (an interrupted run too), else re-planned from its config.
  const plan = state?.plan ?? prev?.plan ?? (cfg ? plannedCells(filterCells(cfg, planCells(cfg), state?.filter ?? {})) : loaded.map(asPlanned));
  const cells = cfg ? orderCells(loaded, planCells(cfg)) : loaded;
  const summary = await summarize(
    cfg ? { ...cfg, file: prev?.config.file ?? cfg.file } : { file: prev?.config.file ?? '?', name: prev?.config.name ?? '?', sha256: prev?.config.sha256 ?? '?', expectations: [], variants: [] },
    plan, cells, prev?.runId ?? dir.split('/').pop() ?? 'run', prev?.startedAt ?? new Date().toISOString(), prev?.shard ?? state?.shard ?? null, state?.filter ?? prev?.filter ?? {});
  await writeReports(dir, summary);
  process.stdout.write(`${await readFile(join(dir, 'matrix.md'), 'utf8')}\n`);
  return summary.overall.exitCode;
});

/** `a` is `b` or inside it. */
function within(a: string, b: string): boolean {
  const r = relative(b, a);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** The real path of `p`, following symlinks as far as the path exists. */
async function realPathOf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const up = dirname(p);
    return up === p ? p : join(await realPathOf(up), basename(p));
  }
}

const mergeSpec = defineCommand({
  name: 'merge',
  summary: 'combine shard run directories into one run',
  description: 'Combine the run directories of shards (kvmatrix matrix --shard I/N) of one config into one run, with reports as if it had run '
    + 'at once. The result is built in a temporary directory next to --out and renamed into place, so a failed merge leaves nothing behind. '
    + 'An existing non-empty --out is refused unless --force; --out may not be, contain or sit inside an input.',
  positionals: [{ name: 'DIR', required: true, variadic: true, description: 'shard run directories (each with cells/ and results.json)' }],
  options: {
    out: { type: 'string', value: 'DIR', required: true, description: 'where the merged run goes' },
    force: { type: 'boolean', description: 'replace an existing non-empty --out' },
  },
  examples: ['kvmatrix merge shard-1 shard-2 shard-3 --out merged'],
});

/** One shard as read for the merge: its summary and the cell directories it holds. */
interface Shard {
  dir: string;
  summary: RunSummary;
  cellDirs: string[];
}

/** Combine shard run directories; they must come from the same config and harness version. */
export const mergeCommand = cliCommand(mergeSpec, async (c, { values, positionals }) => {
  const out = assertOutputDir('--out', values.out as string);
  const inputDirs = await mergeInputDirs(positionals, out);
  const outEntries = await readdir(out).catch(() => [] as string[]);
  if (outEntries.length > 0 && !values.force) {
    throw new UserError('MERGE_OUT_EXISTS', `--out ${out} already exists and is not empty (${outEntries.length} entries): merging into it would mix in its old cells`, {
      hint: 'choose a new directory, or pass --force to replace it',
    });
  }
  // Read every input (strictly) before writing anything.
  const shards: Shard[] = [];
  for (const dir of inputDirs) {
    const s = await readRunSummary(dir);
    if (!s) throw new UserError('MERGE_INPUT', `${dir} has no results.json (the shard did not finish)`, { hint: `rerun that shard, or run kvmatrix report ${dir} to write it` });
    const records = await readCellRecords(dir);
    warnUnfinished(c, dir, records.unfinished, records.strays);
    shards.push({ dir, summary: s, cellDirs: (await readdir(join(dir, 'cells'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name) });
  }
  assertShardsOfOneRun(shards);
  const summary = await writeMergedRun(c, out, shards);
  process.stdout.write(`${await readFile(join(out, 'matrix.md'), 'utf8')}\n`);
  return summary.overall.exitCode;
});

/** The inputs as run dirs, in order; each named once, none overlapping --out (symlinks followed). */
async function mergeInputDirs(positionals: readonly string[], out: string): Promise<string[]> {
  const outReal = await realPathOf(out);
  const seen = new Map<string, string>();
  for (const p of positionals) {
    const dir = await runDirArg('merge input', p);
    const real = await realPathOf(dir);
    const twice = seen.get(real);
    if (twice !== undefined) throw new UserError('MERGE_INPUT', `${dir} is given twice${twice !== dir ? ` (also as ${twice})` : ''}`, { hint: 'name each shard once' });
    seen.set(real, dir);
    if (within(outReal, real) || within(real, outReal)) {
      throw new UserError('MERGE_OUT_OVERLAP', `--out ${out} ${outReal === real ? 'is' : within(outReal, real) ? 'is inside' : 'contains'} the input ${dir}`, {
        hint: 'write the merged run to a directory of its own, outside every input',
      });
    }
  }
  return [...seen.values()];
}

/** Same config, same harness version, and no cell in two shards: otherwise they are not parts of one run. */
function assertShardsOfOneRun(shards: readonly Shard[]): void {
  const first = shards[0]!.summary;
  for (const r of shards) {
    if (r.summary.config.sha256 !== first.config.sha256) throw new UserError('MERGE_MISMATCH', `${r.dir} ran config ${r.summary.config.sha256.slice(0, 12)} but ${shards[0]!.dir} ran ${first.config.sha256.slice(0, 12)}: shards of different configs cannot be merged`, { hint: 'merge only shards of one sharded run (same config file content)' });
    if (r.summary.harnessVersion !== first.harnessVersion) throw new UserError('MERGE_MISMATCH', `${r.dir} was made by kvmatrix ${r.summary.harnessVersion}, ${shards[0]!.dir} by ${first.harnessVersion}`, { hint: 'rerun the shards with one kvmatrix version' });
  }
  const owner = new Map<string, string>();
  for (const { dir, cellDirs } of shards) {
    for (const d of cellDirs) {
      const other = owner.get(d);
      if (other !== undefined) throw new UserError('MERGE_OVERLAP', `cell ${d} appears in more than one shard (${other} and ${dir})`, { hint: 'merge the shards of one sharded run (--shard I/N with the same N), each once' });
      owner.set(d, dir);
    }
  }
}

/** Copy the shards' cells into --out and write the reports of the whole run; returns its summary. */
async function writeMergedRun(c: CliContext, out: string, shards: readonly Shard[]): Promise<RunSummary> {
  const first = shards[0]!.summary;
  let summary: RunSummary | undefined;
  // Built next to --out and renamed into place: an error leaves no half-merged run.
  await writeDirAtomically(out, async (tmp) => {
    for (const { dir, cellDirs } of shards) {
      for (const d of cellDirs) await cp(join(dir, 'cells', d), join(tmp, 'cells', d), { recursive: true });
    }
    if (existsSync(join(shards[0]!.dir, 'config.yaml'))) await cp(join(shards[0]!.dir, 'config.yaml'), join(tmp, 'config.yaml'));
    const cfg = existsSync(join(tmp, 'config.yaml')) ? loadMatrixConfig(join(tmp, 'config.yaml')) : null;
    const loaded = (await readCellRecords(tmp)).cells;
    // Same cell order as a single run of the config, and the same plan: a missing shard leaves the merge INCOMPLETE.
    const cells = cfg ? orderCells(loaded, planCells(cfg)) : loaded;
    const plan = cfg ? unshardedPlan(cfg, shards.map((r) => r.summary)) : shards.flatMap((r) => r.summary.plan ?? r.summary.cells.map(asPlanned));
    summary = await summarize(
      cfg ? { ...cfg, file: first.config.file, sha256: first.config.sha256 } : { file: first.config.file, name: first.config.name, sha256: first.config.sha256, expectations: [], variants: [] },
      plan, cells, `merged-${first.runId}`, first.startedAt, null, first.filter ?? {});
    if (first.harnessVersion !== harnessVersion()) c.ctx.report({ kind: 'warn', text: `merging results of kvmatrix ${first.harnessVersion} with ${harnessVersion()}` });
    await writeReports(tmp, summary);
  });
  return summary!;
}

function asPlanned(c: { id: string; kernel: { id: string }; arch: string; variant: { name: string }; repeat: number }): PlannedCell {
  return { id: c.id, kernel: c.kernel.id, arch: c.arch, variant: c.variant.name, repeat: c.repeat };
}

/** Every cell of the shards' common selection, without sharding: what the merged run must hold. */
function unshardedPlan(cfg: MatrixConfig, shards: RunSummary[]): PlannedCell[] {
  const filters = new Set(shards.map((s) => JSON.stringify(s.filter ?? {})));
  if (filters.size > 1) throw new UserError('MERGE_MISMATCH', `the shards were run with different --kernel/--arch/--variant selections (${[...filters].join(' vs ')}): they are not parts of one run`, { hint: 'merge only the shards of one sharded run' });
  return plannedCells(filterCells(cfg, planCells(cfg), shards[0]?.filter ?? {}));
}
