// `kvmatrix bench`: speed is measured here, never in timed tests. Numbers go
// to results/bench/<timestamp>.json (and latest.json).
//  - cold vs incremental: base then patched build of one kernel/arch in a
//    fresh cache dir (same machine, same run), and the ratio;
//  - a fully cached lookup of the same build (target < 1 s);
//  - a warm rerun of a matrix: wall time and the share outside boot+guest;
//  - with --cold-matrix, the whole matrix from an empty cache (the first run
//    of `npm run matrix` on a new machine, provisioning aside) and its warm
//    rerun in that same cache: wall times, summed stage times, the verdict;
//  - a bisection of the synthetic history (bisect/synthetic-history.ts) under
//    the configured accel, every step built (--rebuild) in a warm bisect work
//    tree: steps, mean seconds per step, the whole bisection.
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { writeFileAtomically } from '../util/fs.ts';
import { join } from 'node:path';
import { cpus, machine, tmpdir } from 'node:os';
import { UserError, EXIT } from '../errors.ts';
import { canonicalArchName, getArch } from '../arch/profile.ts';
import { kernelArches, loadMatrixConfig, planCells, type MatrixConfig } from '../plan/config.ts';
import { runMatrix } from '../matrix/run.ts';
import { fetchSource } from '../source/fetch.ts';
import { patchStage } from '../pipeline/prepare.ts';
import { buildKernel } from '../kbuild/build-kernel.ts';
import { resultsRoot } from '../util/paths.ts';
import { cliCommand, configOption, configPath, defineCommand, type CliContext } from './args.ts';
import { prepareRun } from './prepare.ts';
import type { Ctx } from '../stage.ts';
import { loadPatchFiles } from '../patch/series.ts';
import { standardSyntheticHistory, STANDARD_LAYOUT, type SyntheticHistory } from '../bisect/synthetic-history.ts';
import { bisectCommits } from '../bisect/commits.ts';
import { bisectDirFor } from '../bisect/repo.ts';
import { expectedSteps } from '../bisect/git-output.ts';
import { existsSync, rmSync } from 'node:fs';
import { stepConfig, suiteForCase } from './bisect.ts';

const benchSpec = defineCommand({
  name: 'bench',
  summary: 'measure build and run costs into results/bench/',
  description: 'Measure, on this machine: a cold base build, the incremental patched build after it and a cached lookup (each arch, in a '
    + 'scratch cache that is deleted afterwards), then a warm rerun of the matrix with the harness overhead share; with --cold-matrix '
    + 'first the whole matrix from an empty cache and its rerun. Numbers go to results/bench/<time>.json and results/bench/latest.json.',
  options: {
    config: configOption,
    kernel: { type: 'string', value: 'ID', description: 'kernel to build (default: the first in the config that has a patched variant)' },
    arch: { type: 'string', value: 'ARCH', multiple: true, description: 'arch to measure (default: every arch that kernel runs on)' },
    variant: { type: 'string', value: 'NAME', description: 'patched variant for the incremental build (default: the first non-base variant of that kernel)' },
    'skip-cold': { type: 'boolean', description: 'skip the cold/incremental/cached build measurements' },
    'skip-warm': { type: 'boolean', description: 'skip the warm matrix rerun' },
    'skip-bisect': { type: 'boolean', description: 'skip the bisection of the synthetic history' },
    'cold-matrix': { type: 'boolean', description: 'also run the whole matrix from an empty scratch cache (sources downloaded, every kernel built; about 40 min here), then rerun it warm' },
  },
  examples: ['npm run bench', 'kvmatrix bench --skip-cold', 'npm run bench -- --cold-matrix --skip-cold --skip-warm --skip-bisect'],
});

type Kernel = MatrixConfig['kernels'][number];
type Variant = MatrixConfig['variants'][number];

/** What bench measures: one kernel, one patched variant of it, the arches; unknown names are user errors. */
interface BenchTarget {
  kernel: Kernel;
  patched: Variant;
  arches: string[];
}

export const benchCommand = cliCommand(benchSpec, async (c, { values }) => {
  const cfg = loadMatrixConfig(configPath(values.config));
  const target = benchTarget(cfg, values);
  const { kernel, patched, arches } = target;
  const onlyTarget = values['skip-warm'] && !values['cold-matrix'];
  await prepareRun(c, cfg, { kernels: onlyTarget ? [kernel.id] : undefined, arches: onlyTarget ? arches : undefined });
  const out: Record<string, unknown> = { host: { arch: machine(), cpus: cpus().length }, config: cfg.file, kernel: kernel.id, variant: patched.name, at: new Date().toISOString() };
  if (values['cold-matrix']) out.coldMatrix = await benchColdMatrix(c, cfg);
  if (!values['skip-cold']) {
    const perArch: Record<string, unknown> = {};
    for (const archName of arches) perArch[archName] = await benchBuilds(c, cfg, target, archName);
    out.builds = perArch;
  }
  if (!values['skip-warm']) out.warmMatrix = await benchWarmMatrix(c, cfg, values.arch ? arches : undefined);
  if (!values['skip-bisect']) out.bisect = await benchBisect(c, cfg, target);
  const dir = join(resultsRoot(), 'bench');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const text = `${JSON.stringify(out, null, 2)}\n`;
  await writeFileAtomically(join(dir, `${stamp}.json`), text);
  await writeFileAtomically(join(dir, 'latest.json'), text);
  process.stdout.write(text);
  return EXIT.validated;
});

function benchTarget(cfg: MatrixConfig, values: { kernel?: string; variant?: string; arch?: string[] }): BenchTarget {
  const kernelIds = cfg.kernels.map((k) => k.id);
  const patchedVariants = (id: string) => cfg.variants.filter((v) => v.name !== 'base' && (!v.kernels || v.kernels.includes(id)));
  // The cold/incremental pair needs a patched variant: by default the first kernel that has one.
  const kernelId = values.kernel ?? kernelIds.find((id) => patchedVariants(id).length > 0) ?? kernelIds[0];
  const kernel = cfg.kernels.find((k) => k.id === kernelId);
  if (!kernel) throw new UserError('UNKNOWN_KERNEL', `Unknown kernel "${values.kernel}" in ${cfg.file}. Available: ${kernelIds.join(', ')}`, { hint: 'pass one of those with --kernel' });
  const candidates = patchedVariants(kernel.id).map((v) => v.name);
  const patchedName = values.variant ?? candidates[0];
  if (!patchedName || !candidates.includes(patchedName)) {
    throw new UserError('UNKNOWN_VARIANT', patchedName === undefined
      ? `bench needs a patched (non-base) variant for kernel ${kernel.id} in ${cfg.file}`
      : `"${patchedName}" is not a patched variant of kernel ${kernel.id} in ${cfg.file}. Available: ${candidates.join(', ') || 'none'}`, { hint: 'pass one with --variant, or pick another --kernel' });
  }
  const valid = kernelArches(cfg, kernel);
  const arches = (values.arch ?? valid).map((a) => canonicalArchName(a));
  const unknownArch = arches.find((a) => !valid.includes(a));
  if (unknownArch) throw new UserError('UNKNOWN_ARCH', `Unknown arch "${unknownArch}" for kernel ${kernel.id} in ${cfg.file}. Available: ${valid.join(', ')}`, { hint: 'pass one of those with --arch' });
  return { kernel, patched: cfg.variants.find((v) => v.name === patchedName)!, arches };
}

/**
 * Cold base build, incremental patched build and cached lookup of one arch,
 * in a scratch cache dir of their own (so "cold" is cold), deleted afterwards.
 */
async function benchBuilds(c: CliContext, cfg: MatrixConfig, { kernel, patched }: BenchTarget, archName: string): Promise<Record<string, unknown>> {
  const arch = getArch(archName);
  const scratch = await scratchCache('kvmatrix-bench-');
  const ctx: Ctx = { ...c.ctx, cacheDir: scratch, cell: `bench/${archName}` };
  try {
    const source = await fetchSource(ctx, kernel.source, join(scratch, 'source.log'));
    const baseSeries = await patchStage(source, [], cfg.baseDir, join(scratch, 'patch.log'));
    const series = await patchStage(source, patched.patches, cfg.baseDir, join(scratch, 'patch.log'));
    let t = Date.now();
    const base = await buildKernel(ctx, { source, arch, variant: 'base', ...baseSeries, logPath: join(scratch, 'base.log') });
    const coldMs = Date.now() - t;
    t = Date.now();
    const pb = await buildKernel(ctx, { source, arch, variant: patched.name, ...series, logPath: join(scratch, 'patched.log') });
    const incrementalMs = Date.now() - t;
    t = Date.now();
    const again = await buildKernel(ctx, { source, arch, variant: patched.name, ...series, logPath: join(scratch, 'again.log') });
    const cachedMs = Date.now() - t;
    const measured = {
      coldBaseBuildMs: coldMs, patchedIncrementalBuildMs: incrementalMs, incrementalRatio: +(incrementalMs / coldMs).toFixed(3),
      patchedCompiledObjects: pb.meta.compiledObjects, cachedLookupMs: cachedMs, cachedHit: again.cached, baseKey: base.key, patchedKey: pb.key,
    };
    c.ctx.report({ kind: 'info', text: `bench ${archName}: cold ${(coldMs / 1000).toFixed(0)} s, patched ${(incrementalMs / 1000).toFixed(1)} s (${((incrementalMs / coldMs) * 100).toFixed(1)}%), cached ${cachedMs} ms` });
    return measured;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A scratch cache directory that is gone when the process ends, also on
 * Ctrl-C (the signal handler exits without running `finally` blocks, and a
 * cold matrix leaves gigabytes behind).
 */
async function scratchCache(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Milliseconds per stage, summed over the cells (cells run in parallel, so the sum exceeds the wall time). */
function stageTotals(cells: readonly { stages: readonly { stage: string; durationMs: number }[] }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const cell of cells) for (const st of cell.stages) out[st.stage] = (out[st.stage] ?? 0) + st.durationMs;
  return out;
}

/**
 * The whole matrix from an empty cache, as a new machine's first `npm run
 * matrix` (after provisioning): every source fetched, every kernel, image and
 * selftest built. Then the same matrix again in that cache (warm). The scratch
 * cache is deleted afterwards.
 */
async function benchColdMatrix(c: CliContext, cfg: MatrixConfig): Promise<Record<string, unknown>> {
  const scratch = await scratchCache('kvmatrix-bench-cold-');
  const ctx: Ctx = { ...c.ctx, cacheDir: scratch };
  try {
    let t = Date.now();
    const cold = await runMatrix(ctx, { config: cfg, filter: {}, force: true, outDir: join(resultsRoot(), 'bench', 'cold') });
    const coldMs = Date.now() - t;
    t = Date.now();
    const warm = await runMatrix(ctx, { config: cfg, filter: {}, force: true, outDir: join(resultsRoot(), 'bench', 'cold-then-warm') });
    const warmMs = Date.now() - t;
    return {
      cells: planCells(cfg).length, wallMs: coldMs, verdict: cold.summary.overall.line, stageMsSummed: stageTotals(cold.summary.cells),
      warmRerun: { wallMs: warmMs, verdict: warm.summary.overall.line },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A forced rerun of the matrix once everything is cached: wall time and the share spent outside boot and guest. */
async function benchWarmMatrix(c: CliContext, cfg: MatrixConfig, arches: string[] | undefined): Promise<Record<string, unknown>> {
  const filter = { arches };
  // First make sure everything is cached, then time a forced rerun.
  await runMatrix(c.ctx, { config: cfg, filter, force: true, outDir: join(resultsRoot(), 'bench', 'warmup') });
  const t = Date.now();
  const { summary } = await runMatrix(c.ctx, { config: cfg, filter, force: true, outDir: join(resultsRoot(), 'bench', 'warm') });
  const wallMs = Date.now() - t;
  const guestMs = summary.cells.reduce((s, cell) => s + cell.stages.filter((st) => st.stage === 'boot' || st.stage === 'run').reduce((a, st) => a + st.durationMs, 0), 0);
  const buildMs = summary.cells.reduce((s, cell) => s + (cell.stages.find((st) => st.stage === 'build')?.durationMs ?? 0), 0);
  return {
    cells: planCells(cfg).length, wallMs, bootAndGuestMs: guestMs, cachedBuildStageMs: buildMs,
    // Cells run in parallel, so guest time can exceed wall time; the overhead share is of summed cell time.
    harnessOverheadShare: +(1 - guestMs / Math.max(1, summary.cells.reduce((s, cell) => s + cell.durationMs, 0))).toFixed(3),
  };
}

/** The case the bench bisects: it fails on 6.1 until the planted backport (x86_64; arm64 has no soft-dirty). */
const BENCH_BISECT_CASE = 'softdirty-uffdwp/shmem_memfd_unprotect_softdirty';
const BENCH_BISECT_ARCH = 'x86_64';

/**
 * `bisect --fixed` over the synthetic history with every step built. A cold
 * bisect work tree (its first build is a full one) is warmed by one run
 * first, reported apart; the measured run starts from a built object dir.
 */
async function benchBisect(c: CliContext, cfg: MatrixConfig, { kernel, patched }: BenchTarget): Promise<Record<string, unknown>> {
  const ctx: Ctx = { ...c.ctx, cell: 'bench/bisect' };
  const logDir = join(resultsRoot(), 'bench', 'bisect-logs');
  await mkdir(logDir, { recursive: true });
  let t = Date.now();
  const history = await standardSyntheticHistory(ctx, kernel, await loadPatchFiles(patched.patches, cfg.baseDir), logDir);
  const historyMs = Date.now() - t;
  const cold = !existsSync(join(bisectDirFor(ctx.cacheDir, history.repo), `obj-${BENCH_BISECT_ARCH}`, 'vmlinux'));
  const warmup = cold ? await bisectOnce(ctx, cfg, history, 'bisect-cold') : null;
  t = Date.now();
  const measured = await bisectOnce(ctx, cfg, history, 'bisect');
  c.ctx.report({ kind: 'info', text: `bench bisect: ${measured.steps} steps (bound ${measured.stepBound}), mean ${(measured.meanStepMs / 1000).toFixed(1)} s per step, ${(measured.wallMs / 1000).toFixed(0)} s in all` });
  return { history: { repo: history.repo, commits: STANDARD_LAYOUT.commits, madeMs: history.madeMs, stageMs: historyMs }, coldRun: warmup, run: measured, wallMsIncludingSync: Date.now() - t };
}

async function bisectOnce(ctx: Ctx, cfg: MatrixConfig, history: SyntheticHistory, name: string) {
  const suite = suiteForCase(cfg, BENCH_BISECT_CASE);
  const base = cfg.variants.find((v) => v.name === 'base') ?? { name: 'base', patches: [] };
  const kernels = [{ id: 'bisect', source: { provider: 'git' as const, url: history.repo, ref: 'HEAD' } }];
  const t = Date.now();
  const { record } = await bisectCommits(ctx, {
    config: stepConfig(cfg, suite, BENCH_BISECT_ARCH, base, kernels), caseId: BENCH_BISECT_CASE, suite: suite.name, arch: BENCH_BISECT_ARCH, variant: base,
    fixed: true, source: history.repo, bad: 'synthetic-root', good: 'main', accel: cfg.accel, rebuild: true, force: true, outDir: join(resultsRoot(), 'bench', name),
  });
  const steps = record.steps.map((s) => ({ commit: s.commit.slice(0, 12), said: s.said, durationMs: s.durationMs, buildMs: (s.stageMs.config ?? 0) + (s.stageMs.build ?? 0), bootMs: s.stageMs.boot ?? 0, runMs: s.stageMs.run ?? 0, compiledObjects: s.build?.compiledObjects ?? null }));
  return {
    found: record.answer.status === 'found' && record.answer.commit === history.planted, steps: record.steps.length, stepBound: expectedSteps(record.range.candidates) + 1,
    meanStepMs: record.meanStepMs ?? 0, wallMs: Date.now() - t, perStep: steps,
  };
}
