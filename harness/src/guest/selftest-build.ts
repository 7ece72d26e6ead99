// Build a C selftest statically for an arch (cross compiler when not native),
// cached by a hash of its sources, flags and compiler version.
import { readdir, readFile, mkdir, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ArchProfile } from '../arch/profile.ts';
import { compilerFor } from '../arch/host.ts';
import { run } from '../exec/run.ts';
import { UserError } from '../errors.ts';
import { hashValue } from '../util/hash.ts';
import { tailFile } from '../util/fs.ts';
import { compilerVersion } from '../kbuild/build-kernel.ts';

export const SELFTEST_CFLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread'];

export interface SelftestBinary {
  path: string;
  key: string;
  name: string;
}

/** Compile `mainSource` (and headers next to it) for `arch`. */
export async function buildSelftest(cacheDir: string, arch: ArchProfile, mainSource: string, logPath: string): Promise<SelftestBinary> {
  const dir = dirname(mainSource);
  const name = basename(mainSource).replace(/\.c$/, '');
  const inputs: Record<string, string> = {};
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.c') || n.endsWith('.h')).sort()) {
    inputs[f] = await readFile(join(dir, f), 'utf8');
  }
  if (!(basename(mainSource) in inputs)) {
    throw new UserError('SELFTEST_MISSING', `selftest source ${mainSource} not found`, { stage: 'selftest-build' });
  }
  const compiler = await compilerVersion(arch);
  const key = hashValue({ inputs, main: basename(mainSource), flags: SELFTEST_CFLAGS, compiler, arch: arch.name }).slice(0, 16);
  const outDir = join(cacheDir, 'selftests', `${arch.name}-${name}-${key}`);
  const out = join(outDir, name);
  if (existsSync(out)) return { path: out, key, name };
  await mkdir(outDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await run(compilerFor(arch), [...SELFTEST_CFLAGS, '-o', tmp, mainSource], { logPath, timeoutMs: 5 * 60_000 });
  if (r.exitCode !== 0) {
    throw new UserError('SELFTEST_BUILD_FAILED', `${compilerFor(arch)} could not build ${mainSource} for ${arch.name}`, {
      stage: 'selftest-build', logPath, logTail: tailFile(logPath, 40),
    });
  }
  await rename(tmp, out);
  return { path: out, key, name };
}
