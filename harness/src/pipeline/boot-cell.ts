// Boot one cell's kernel for interactive use (exec / shell): same stages as a
// matrix cell up to the booted VM, with logs under the cache's scratch dir.
import { join } from 'node:path';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { getArch } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import type { Ctx } from '../stage.ts';
import { must, runStage } from '../stage.ts';
import type { MatrixConfig } from '../plan/config.ts';
import { planCells } from '../plan/config.ts';
import { fetchSource } from '../source/fetch.ts';
import { loadPatchFiles } from '../patch/series.ts';
import { buildKernel } from '../kbuild/build-kernel.ts';
import { buildGuestImage } from '../guest/image.ts';
import type { Vm } from '../boot/vm.ts';
import { bootWithPolicy } from '../boot/accel-boot.ts';

export async function bootCell(ctx: Ctx, cfg: MatrixConfig, cellId: string, accelPolicy: AccelPolicy): Promise<{ vm: Vm; logDir: string }> {
  const plans = planCells(cfg);
  const plan = plans.find((p) => p.id === cellId || `${p.id}#1` === cellId);
  if (!plan) throw new UserError('UNKNOWN_CELL', `Unknown cell "${cellId}" in ${cfg.file}. Available: ${plans.map((p) => p.id).join(', ')}`);
  const arch = getArch(plan.arch);
  await mkdir(join(ctx.cacheDir, 'scratch'), { recursive: true });
  const logDir = await mkdtemp(join(ctx.cacheDir, 'scratch', 'exec-'));
  const c: Ctx = { ...ctx, cell: plan.id };
  const source = must(await runStage(c, 'source', undefined, () => fetchSource(c, plan.kernel.source, join(logDir, 'source.log'))));
  const patches = must(await runStage(c, 'patch', undefined, () => loadPatchFiles(plan.variant.patches, cfg.baseDir)));
  const build = must(await runStage(c, 'build', undefined, () => buildKernel(c, { source, arch, variant: plan.variant.name, patches, logPath: join(logDir, 'build.log') })));
  const image = must(await runStage(c, 'image', undefined, () => buildGuestImage(c, arch, join(logDir, 'image.log'))));
  const vm = must(await runStage(c, 'boot', `--accel ${accelPolicy}`, () => bootWithPolicy({
    policy: accelPolicy, cacheDir: c.cacheDir, cell: c.cell, report: c.report,
    arch, kernelImage: build.image, initrd: image.initrdPath, keys: image.keys,
    consoleLogPath: join(logDir, 'console.log'), timeoutMs: cfg.timeouts.bootMs, signal: ctx.signal,
  }).then((b) => b.vm)));
  return { vm, logDir };
}
