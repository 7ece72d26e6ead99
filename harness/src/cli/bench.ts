// `kvmatrix bench`: speed is measured here, never in timed tests. Numbers go
// to results/bench/<timestamp>.json (and latest.json).
//  - cold vs incremental: base then patched build of one kernel/arch in a
//    fresh cache dir (same machine, same run), and the ratio;
//  - a fully cached lookup of the same build (target < 1 s);
//  - a warm rerun of a matrix: wall time and the share outside boot+guest.
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { writeFileAtomically } from '../util/fs.ts';
import { join } from 'node:path';
import { cpus, machine, tmpdir } from 'node:os';
import { UserError, EXIT } from '../errors.ts';
import { getArch } from '../arch/profile.ts';
import { loadMatrixConfig, planCells } from '../matrix/config.ts';
import { runMatrix } from '../matrix/run.ts';
import { fetchSource } from '../pipeline/sources.ts';
import { loadPatchFiles } from '../patch/series.ts';
import { buildKernel } from '../build/build-kernel.ts';
import { resultsRoot } from '../util/paths.ts';
import { configPath, parseOrThrow, type CliContext } from './main.ts';
import { provisionFor } from './commands.ts';
import type { Ctx } from '../stage.ts';

export async function benchCommand(c: CliContext): Promise<number> {
  const { values } = parseOrThrow({
    args: c.argv,
    options: { config: { type: 'string' }, kernel: { type: 'string' }, arch: { type: 'string', multiple: true }, variant: { type: 'string' }, 'skip-cold': { type: 'boolean' }, 'skip-warm': { type: 'boolean' } },
    strict: true,
  });
  const cfg = loadMatrixConfig(configPath(values.config));
  await provisionFor(c, cfg);
  const kernelId = values.kernel ?? cfg.kernels[0]?.id;
  const patchedName = values.variant ?? cfg.variants.find((v) => v.name !== 'base' && (!v.kernels || v.kernels.includes(kernelId ?? '')))?.name;
  const kernel = cfg.kernels.find((k) => k.id === kernelId);
  if (!kernel || !patchedName) throw new UserError('USAGE', `bench needs a kernel with a patched variant in ${cfg.file}`);
  const patched = cfg.variants.find((v) => v.name === patchedName)!;
  const out: Record<string, unknown> = { host: { arch: machine(), cpus: cpus().length }, config: cfg.file, kernel: kernel.id, variant: patched.name, at: new Date().toISOString() };
  const arches = values.arch ?? cfg.arches;
  if (!values['skip-cold']) {
    const perArch: Record<string, unknown> = {};
    for (const archName of arches) {
      const arch = getArch(archName);
      const scratch = await mkdtemp(join(tmpdir(), 'kvmatrix-bench-'));
      const ctx: Ctx = { ...c.ctx, cacheDir: scratch, cell: `bench/${archName}` };
      try {
        const source = await fetchSource(ctx, kernel.source, join(scratch, 'source.log'));
        const basePatches = await loadPatchFiles([], cfg.baseDir);
        const patches = await loadPatchFiles(patched.patches, cfg.baseDir);
        let t = Date.now();
        const base = await buildKernel(ctx, { source, arch, variant: 'base', patches: basePatches, logPath: join(scratch, 'base.log') });
        const coldMs = Date.now() - t;
        t = Date.now();
        const pb = await buildKernel(ctx, { source, arch, variant: patched.name, patches, logPath: join(scratch, 'patched.log') });
        const incrementalMs = Date.now() - t;
        t = Date.now();
        const again = await buildKernel(ctx, { source, arch, variant: patched.name, patches, logPath: join(scratch, 'again.log') });
        const cachedMs = Date.now() - t;
        perArch[archName] = {
          coldBaseBuildMs: coldMs, patchedIncrementalBuildMs: incrementalMs, incrementalRatio: +(incrementalMs / coldMs).toFixed(3),
          patchedCompiledObjects: pb.meta.compiledObjects, cachedLookupMs: cachedMs, cachedHit: again.cached, baseKey: base.key, patchedKey: pb.key,
        };
        c.ctx.report({ kind: 'info', text: `bench ${archName}: cold ${(coldMs / 1000).toFixed(0)} s, patched ${(incrementalMs / 1000).toFixed(1)} s (${((incrementalMs / coldMs) * 100).toFixed(1)}%), cached ${cachedMs} ms` });
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    out.builds = perArch;
  }
  if (!values['skip-warm']) {
    const filter = { arches: values.arch };
    // First make sure everything is cached, then time a forced rerun.
    await runMatrix(c.ctx, { config: cfg, filter, force: true, outDir: join(resultsRoot(), 'bench', 'warmup') });
    const t = Date.now();
    const { summary } = await runMatrix(c.ctx, { config: cfg, filter, force: true, outDir: join(resultsRoot(), 'bench', 'warm') });
    const wallMs = Date.now() - t;
    const guestMs = summary.cells.reduce((s, cell) => s + cell.stages.filter((st) => st.stage === 'boot' || st.stage === 'run').reduce((a, st) => a + st.durationMs, 0), 0);
    const buildMs = summary.cells.reduce((s, cell) => s + (cell.stages.find((st) => st.stage === 'build')?.durationMs ?? 0), 0);
    out.warmMatrix = {
      cells: planCells(cfg).length, wallMs, bootAndGuestMs: guestMs, cachedBuildStageMs: buildMs,
      // Cells run in parallel, so guest time can exceed wall time; the overhead share is of summed cell time.
      harnessOverheadShare: +(1 - guestMs / Math.max(1, summary.cells.reduce((s, cell) => s + cell.durationMs, 0))).toFixed(3),
    };
  }
  const dir = join(resultsRoot(), 'bench');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const text = `${JSON.stringify(out, null, 2)}\n`;
  await writeFileAtomically(join(dir, `${stamp}.json`), text);
  await writeFileAtomically(join(dir, 'latest.json'), text);
  process.stdout.write(text);
  return EXIT.validated;
}
