// The uapi headers of the tree under test, for the target arch: selftests
// are meant to compile against the kernel they test (new ioctls, new
// UFFD_FEATURE_* bits), not against the host's linux-libc-dev.
// `make O=... headers_install` keeps the pristine tree untouched.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import type { ArchProfile } from '../arch/profile.ts';
import { makeArgs } from '../kbuild/kbuild.ts';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { tailFile, writeDirAtomically } from '../util/fs.ts';
import { hashValue } from '../util/hash.ts';
import type { KernelSource } from '../source/types.ts';

export const HEADERS_STAMP = 'headers.json';

export function kselftestCacheDir(cacheDir: string): string {
  return join(cacheDir, 'kselftest');
}

export function headersKey(source: Pick<KernelSource, 'identity'>, arch: Pick<ArchProfile, 'name' | 'linuxArch'>): string {
  return hashValue({ what: 'kselftest-uapi-headers', v: 1, identity: source.identity, arch: arch.name, linuxArch: arch.linuxArch }).slice(0, 16);
}

/**
 * Lock `<target>.lock` (mkdir, so across processes). proper-lockfile keeps its
 * in-process registry keyed by the locked *file*, not by lockfilePath: locking
 * one shared dir with several lockfilePaths from one process mixes up the
 * locks (seen as "Lock is not acquired/owned by you"). So the key is the target
 * itself, which need not exist yet (realpath: false).
 */
export async function lockTarget(target: string): Promise<() => Promise<void>> {
  return lockfile.lock(target, { realpath: false, retries: { retries: 600, minTimeout: 500, maxTimeout: 2000 }, stale: 120000 });
}

/**
 * Install the tree's uapi headers for `arch` once per (tree identity, arch);
 * returns the directory that holds `usr/include`.
 */
export async function installUapiHeaders(cacheDir: string, source: KernelSource, arch: ArchProfile, logPath: string): Promise<string> {
  const root = kselftestCacheDir(cacheDir);
  const dir = join(root, headersKey(source, arch));
  const done = () => existsSync(join(dir, HEADERS_STAMP));
  if (done()) return dir;
  await mkdir(root, { recursive: true });
  const release = await lockTarget(dir);
  try {
    if (done()) return dir;
    await writeDirAtomically(dir, async (tmp) => {
      const obj = join(tmp, 'obj');
      const args = makeArgs({ arch, src: source.tree, obj }, `-j${cpus().length}`, `INSTALL_HDR_PATH=${join(tmp, 'usr')}`, 'headers_install');
      const r = await run('make', args, { logPath, timeoutMs: 20 * 60_000, captureStdout: false });
      if (r.exitCode !== 0 || !existsSync(join(tmp, 'usr', 'include', 'linux'))) {
        const tail = tailFile(logPath, 40);
        throw new InfraError('KSELFTEST_HEADERS_FAILED', `make headers_install for ${arch.name} in ${source.tree} ${r.timedOut ? 'timed out' : `failed (exit ${r.exitCode ?? r.signal})`}`, {
          stage: 'selftest-build', logPath, logTail: tail,
          hint: /not clean/.test(tail) ? `the tree was built in place; run \`make mrproper\` in ${source.tree} (kvmatrix builds out of tree)` : undefined,
        });
      }
      // The obj dir only served headers_install (fixdep, unifdef, staging copy).
      await rm(obj, { recursive: true, force: true });
      await writeFile(join(tmp, HEADERS_STAMP), `${JSON.stringify({ identity: source.identity, arch: arch.name, kernelVersion: source.kernelVersion }, null, 2)}\n`);
    });
  } finally {
    await release();
  }
  return dir;
}
