// Debian's linux-source-X.Y package: /usr/src/linux-source-X.Y.tar.xz, keyed by
// the package version, unpacked once into the cache.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { writeDirAtomically } from '../util/fs.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceProvider, SourceSpec } from './types.ts';
import { treeKernelVersion } from './kernel-version.ts';

type DebianSpec = Extract<SourceSpec, { provider: 'debian' }>;

export async function installedDebianVersion(pkg: string): Promise<string | null> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg]);
  if (r.exitCode !== 0) return null;
  const [status, version] = r.stdout.split('\t');
  return status?.endsWith('installed') && !status.includes('not-installed') && version ? version : null;
}

/** Names of the `linux-source-X.Y` packages apt knows (one `apt-cache search`). */
export async function offeredDebianSourceNames(): Promise<string[]> {
  const r = await run('apt-cache', ['search', '--names-only', '^linux-source-[0-9.]+$'], { env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n): n is string => !!n).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** `linux-source-X.Y` packages the apt sources offer, with candidate versions (for doctor). */
export async function offeredDebianSources(): Promise<{ name: string; candidate: string }[]> {
  const names = await offeredDebianSourceNames();
  const out: { name: string; candidate: string }[] = [];
  for (const name of names) {
    const p = await run('apt-cache', ['policy', name]);
    out.push({ name, candidate: /Candidate:\s*(\S+)/.exec(p.stdout)?.[1] ?? '?' });
  }
  return out;
}

export interface DebianPackageInfo {
  installed: string | null;
  candidate: string | null;
  /** Every version apt's version table lists. */
  versions: string[];
}

/** Parse `apt-cache policy PKG`; null when apt does not know the package. Pure. */
export function parseAptPolicy(text: string): DebianPackageInfo | null {
  const field = (k: string) => {
    const v = new RegExp(`^\\s*${k}:\\s*(\\S+)`, 'm').exec(text)?.[1];
    return v && v !== '(none)' ? v : null;
  };
  const table = text.split(/^\s*Version table:\s*$/m)[1] ?? '';
  const versions = [...table.matchAll(/^\s{1,8}(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$/gm)].map((m) => m[1] as string);
  const info = { installed: field('Installed'), candidate: field('Candidate'), versions };
  return info.installed || info.candidate || versions.length > 0 ? info : null;
}

/** apt's view of one package (`apt-cache policy`, no network, no root). */
export async function debianPackageInfo(pkg: string): Promise<DebianPackageInfo | null> {
  const r = await run('apt-cache', ['policy', '--', pkg], { env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    throw new InfraError('APT_UNAVAILABLE', `apt-cache policy ${pkg} failed (${r.exitCode === null ? 'not run' : `exit ${r.exitCode}`})`, {
      stage: 'provision', logTail: r.stderr.slice(-1000), hint: 'the debian source provider needs a Debian-like host with apt',
    });
  }
  return parseAptPolicy(r.stdout);
}

export const debianProvider: SourceProvider<DebianSpec> = {
  async fetch(ctx: Ctx, spec: DebianSpec, logPath: string): Promise<KernelSource> {
    if (!/^linux-source-\d+\.\d+$/.test(spec.package)) {
      throw new UserError('SOURCE_SPEC', `debian source package must look like linux-source-X.Y, got "${spec.package}"`, { stage: 'source' });
    }
    const version = await installedDebianVersion(spec.package);
    if (!version) {
      throw new InfraError('SOURCE_NOT_INSTALLED', `${spec.package} is not installed`, {
        stage: 'source', hint: `run \`npm run doctor\` or: sudo apt-get install ${spec.package}`,
      });
    }
    if (spec.version && spec.version !== version) {
      throw new UserError('SOURCE_VERSION', `${spec.package} ${spec.version} requested but ${version} is installed`, { stage: 'source' });
    }
    const series = spec.package.replace(/^linux-source-/, '');
    const tarball = `/usr/src/linux-source-${series}.tar.xz`;
    const tree = join(ctx.cacheDir, 'sources', `debian-${spec.package}-${version.replace(/[^\w.+-]/g, '_')}`);
    await mkdir(join(ctx.cacheDir, 'sources'), { recursive: true });
    // Lock the tree's own path (realpath off: it may not exist yet). proper-lockfile
    // tracks locks by that path, so one shared dir with several lockfilePaths would mix them up.
    const release = await lockfile.lock(tree, { realpath: false, retries: { retries: 600, minTimeout: 500, maxTimeout: 2000 }, stale: 120000 });
    try {
      if (!existsSync(join(tree, 'Makefile'))) {
        ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `unpacking ${tarball} (${version}) into the cache` });
        await writeDirAtomically(tree, async (tmp) => {
          const r = await run('tar', ['-xf', tarball, '-C', tmp, '--strip-components=1', '--no-same-owner'], { logPath, timeoutMs: 30 * 60_000 });
          if (r.exitCode !== 0) throw new InfraError('SOURCE_UNPACK', `unpacking ${tarball} failed (exit ${r.exitCode})`, { stage: 'source', logPath, logTail: r.stderr.slice(-2000) });
        });
      }
    } finally {
      await release();
    }
    const kernelVersion = await treeKernelVersion(tree);
    if (!kernelVersion) throw new InfraError('SOURCE_BROKEN', `${tree} has no readable top-level Makefile`, { stage: 'source', hint: 'delete it and rerun' });
    return { identity: `debian:${spec.package}=${version}`, tree, kernelVersion };
  },
};
