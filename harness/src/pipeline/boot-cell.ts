// Boot one cell's kernel for interactive use (exec / shell): the same chain
// as a matrix cell (prepare.ts) up to the booted VM, with logs under the
// cache's scratch dir.
import { join } from 'node:path';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { getArch } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import type { Ctx } from '../stage.ts';
import { must, runStage } from '../stage.ts';
import type { MatrixConfig } from '../plan/config.ts';
import { planCells } from '../plan/config.ts';
import type { Vm } from '../boot/vm.ts';
import { bootWithPolicy } from '../boot/accel-boot.ts';
import { prepareKernel } from './prepare.ts';

export async function bootCell(ctx: Ctx, cfg: MatrixConfig, cellId: string, accelPolicy: AccelPolicy): Promise<{ vm: Vm; logDir: string }> {
  const plans = planCells(cfg);
  // "6.1/x86_64/base#1" names the first repeat, which is "6.1/x86_64/base".
  const plan = plans.find((p) => p.id === cellId || p.id === cellId.replace(/#1$/, ''));
  if (!plan) throw new UserError('UNKNOWN_CELL', `Unknown cell "${cellId}" in ${cfg.file}. Available: ${plans.map((p) => p.id).join(', ')}`);
  const arch = getArch(plan.arch);
  await mkdir(join(ctx.cacheDir, 'scratch'), { recursive: true });
  const logDir = await mkdtemp(join(ctx.cacheDir, 'scratch', 'exec-'));
  const c: Ctx = { ...ctx, cell: plan.id };
  const prepared = await prepareKernel(c, { plan, arch, baseDir: cfg.baseDir, logDir });
  if (!prepared.ok) throw prepared.failed.error;
  const { build, image } = prepared.kernel;
  const vm = must(await runStage(c, 'boot', `--accel ${accelPolicy}`, () => bootWithPolicy({
    policy: accelPolicy, cacheDir: c.cacheDir, cell: c.cell, report: c.report,
    arch, kernelImage: build.image, initrd: image.initrdPath, keys: image.keys,
    consoleLogPath: join(logDir, 'console.log'), timeoutMs: cfg.timeouts.bootMs, signal: ctx.signal,
  }).then((b) => b.vm)));
  return { vm, logDir };
}
