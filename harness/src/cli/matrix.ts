import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { canonicalArchName } from '../arch/profile.ts';
import { filterCells, loadMatrixConfig, planCells } from '../plan/config.ts';
import { runMatrix } from '../matrix/run.ts';
import { parseShard, shardCells } from '../plan/shard.ts';
import { accelOption, cliCommand, configOption, configPath, defineCommand } from './args.ts';
import { assertOutputDir, prepareRun } from './prepare.ts';
import { machine } from 'node:os';

export const matrixSpec = defineCommand({
  name: 'matrix',
  summary: 'run the patch-validation matrix (default: configs/matrix.yaml)',
  description: 'Build the base and patched kernels of every cell (kernel x arch x variant), boot each in QEMU, run the suites over SSH and '
    + 'compare the results. Every path, source and name in the config is checked first: a bad config exits 2 before anything is '
    + 'created. An unfinished run of the same command resumes.',
  options: {
    config: configOption,
    kernel: { type: 'string', value: 'ID', multiple: true, description: 'only cells of this kernel id' },
    arch: { type: 'string', value: 'ARCH', multiple: true, description: 'only cells of this arch (profile name or alias)' },
    variant: { type: 'string', value: 'NAME', multiple: true, description: 'only cells of this variant (keep base: verdicts compare against it)' },
    jobs: { type: 'integer', min: 1, max: 64, description: 'cells run at once (default: by cores and memory, at most 4)' },
    shard: {
      type: 'string', value: 'I/N', description: 'run only shard I of N (a kernel/arch build group stays in one shard); combine shards with kvmatrix merge',
      validate: (v) => (parseShard(v) ? undefined : `must look like I/N with 1 <= I <= N, got "${v}"`),
    },
    accel: accelOption,
    rebuild: { type: 'boolean', description: 'rebuild the kernels even when the build cache has them' },
    force: { type: 'boolean', description: 'start a fresh run instead of resuming an unfinished one (with --out: drops the old cells there)' },
    out: { type: 'string', value: 'DIR', description: 'write the run into DIR instead of results/<run-id> (results/latest is left alone)' },
    'kernel-cmdline': { type: 'string', value: 'ARG', multiple: true, description: 'append ARG to the guest kernel command line' },
  },
  examples: [
    'kvmatrix matrix',
    'kvmatrix matrix --kernel 6.1 --arch x86_64 --variant base --variant patched',
    'kvmatrix matrix --config configs/matrix.ci.yaml --shard 1/3 --out /tmp/shard-1',
  ],
});

export const matrixCommand = cliCommand(matrixSpec, async (c, { values }) => {
  const cfg = loadMatrixConfig(configPath(values.config));
  const outDir = values.out !== undefined ? assertOutputDir('--out', values.out) : undefined;
  const shard = values.shard !== undefined ? (parseShard(values.shard) ?? undefined) : undefined;
  const filter = { kernels: values.kernel, arches: values.arch?.map((a) => canonicalArchName(a)), variants: values.variant };
  let cells = filterCells(cfg, planCells(cfg), filter);
  if (shard) cells = shardCells(cells, shard.index, shard.count, machine());
  if (cells.length === 0 && !shard) {
    throw new UserError('NO_CELLS', `--kernel/--arch/--variant select no cell of ${cfg.file}`, { hint: 'a variant with kernels: only runs on those kernels; widen the selection' });
  }
  await prepareRun(c, cfg, { kernels: [...new Set(cells.map((x) => x.kernel.id))], arches: [...new Set(cells.map((x) => x.arch))] });
  const { runDir, summary } = await runMatrix(c.ctx, {
    config: cfg, filter, shard, jobs: values.jobs, accel: values.accel, rebuild: values.rebuild, force: values.force, outDir, extraCmdline: values['kernel-cmdline'],
  });
  process.stdout.write(`${await readFile(resolve(runDir, 'matrix.md'), 'utf8')}\n`);
  process.stdout.write(`\nreports: ${runDir}/{results.json,matrix.md,report.html,junit.xml}\n`);
  return summary.overall.exitCode;
});
