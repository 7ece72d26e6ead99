import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError, EXIT } from '../errors.ts';
import { getArch } from '../arch/profile.ts';
import { loadMatrixConfig, type MatrixConfig } from '../matrix/config.ts';
import { runMatrix } from '../matrix/run.ts';
import { parseShard } from '../matrix/shard.ts';
import { hostRequirements } from '../provision/requirements.ts';
import { provision } from '../provision/check.ts';
import { doctor } from '../provision/doctor.ts';
import { parseKtap } from '../parse/ktap.ts';
import { scanConsole } from '../parse/console.ts';
import { configPath, parseOrThrow, type CliContext } from './main.ts';
import { cacheCommand } from './cache.ts';
import { reportCommand, mergeCommand } from './report.ts';
import { execCommand, shellCommand } from './exec.ts';
import { benchCommand } from './bench.ts';

export function debianSourcesOf(cfg: MatrixConfig): string[] {
  return [...new Set(cfg.kernels.flatMap((k) => (k.source.provider === 'debian' ? [k.source.package] : [])))];
}

export async function provisionFor(c: CliContext, cfg: MatrixConfig, arches?: string[], forTests = false): Promise<void> {
  const started = Date.now();
  const profiles = (arches ?? cfg.arches).map(getArch);
  await provision(hostRequirements(profiles, debianSourcesOf(cfg), { forTests }), c.ctx.report);
  c.ctx.report({ kind: 'info', stage: 'provision', text: `host tools ok (${Date.now() - started} ms)` });
}

async function matrixCommand(c: CliContext): Promise<number> {
  const { values } = parseOrThrow({
    args: c.argv,
    options: {
      config: { type: 'string' }, kernel: { type: 'string', multiple: true }, arch: { type: 'string', multiple: true },
      variant: { type: 'string', multiple: true }, jobs: { type: 'string' }, shard: { type: 'string' }, accel: { type: 'string' },
      rebuild: { type: 'boolean' }, force: { type: 'boolean' }, out: { type: 'string' }, 'kernel-cmdline': { type: 'string', multiple: true },
    },
    strict: true,
  });
  const cfg = loadMatrixConfig(configPath(values.config));
  const shard = values.shard ? parseShard(values.shard) : undefined;
  if (values.shard && !shard) throw new UserError('USAGE', `--shard must look like I/N with 1 <= I <= N, got "${values.shard}"`);
  const jobs = values.jobs ? Number(values.jobs) : undefined;
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UserError('USAGE', `--jobs must be a positive integer, got "${values.jobs}"`);
  const accel = values.accel;
  if (accel && !['auto', 'kvm', 'tcg'].includes(accel)) throw new UserError('USAGE', `--accel must be auto, kvm or tcg, got "${accel}"`);
  await provisionFor(c, cfg, values.arch?.length ? values.arch : undefined);
  const { runDir, summary } = await runMatrix(c.ctx, {
    config: cfg,
    filter: { kernels: values.kernel, arches: values.arch, variants: values.variant },
    shard: shard ?? undefined,
    jobs,
    accel: accel as 'auto' | 'kvm' | 'tcg' | undefined,
    rebuild: values.rebuild,
    force: values.force,
    outDir: values.out,
    extraCmdline: values['kernel-cmdline'],
  });
  process.stdout.write(`${await readFile(resolve(runDir, 'matrix.md'), 'utf8')}\n`);
  process.stdout.write(`\nreports: ${runDir}/{results.json,matrix.md,report.html,junit.xml}\n`);
  return summary.overall.exitCode;
}

async function doctorCommand(c: CliContext): Promise<number> {
  const { values } = parseOrThrow({ args: c.argv, options: { config: { type: 'string' } }, strict: true });
  const cfg = loadMatrixConfig(configPath(values.config));
  const r = await doctor(debianSourcesOf(cfg));
  process.stdout.write(`${r.text}\n`);
  return r.ok ? EXIT.validated : EXIT.infra;
}

async function provisionCommand(c: CliContext): Promise<number> {
  const { values } = parseOrThrow({ args: c.argv, options: { config: { type: 'string' }, for: { type: 'string' } }, strict: true });
  const forTests = values.for === 'test';
  const cfg = loadMatrixConfig(configPath(values.config ?? (forTests ? resolve('configs/matrix.ci.yaml') : undefined)));
  await provisionFor(c, cfg, undefined, forTests);
  return EXIT.validated;
}

async function parseCommand(c: CliContext): Promise<number> {
  const { positionals } = parseOrThrow({ args: c.argv, options: {}, allowPositionals: true, strict: true });
  const file = positionals[0];
  if (!file) throw new UserError('USAGE', 'parse needs a file');
  const text = await readFile(file, 'utf8');
  process.stdout.write(`${JSON.stringify({ ktap: parseKtap(text), console: scanConsole(text) }, null, 2)}\n`);
  return EXIT.validated;
}

export const commands: Record<string, (c: CliContext) => Promise<number>> = {
  matrix: matrixCommand,
  report: reportCommand,
  merge: mergeCommand,
  exec: execCommand,
  shell: shellCommand,
  doctor: doctorCommand,
  provision: provisionCommand,
  cache: cacheCommand,
  parse: parseCommand,
  bench: benchCommand,
};
