// Download Debian packages for any architecture without touching the host's
// dpkg state: apt (harness/src/apt/private-apt.ts) runs with private lists,
// cache and an empty status file, from the suites the guest image recipe
// names (configs/debian-archive.yaml), so the guest's userland is the same
// whatever release the host runs.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError } from '../errors.ts';
import { withPrivateApt, type PrivateAptConfig } from '../apt/private-apt.ts';
import { getSuite, suiteSourcesList, type DebianArchive } from '../source/debian-archive.ts';

export interface DownloadedDeb {
  name: string;
  file: string;
}

/**
 * The guest's apt for `debianArch` from `suites` (e.g. trixie + trixie-security):
 * sources naming only those suites, state under the cache. Pure.
 */
export function guestAptConfig(cacheDir: string, archive: DebianArchive, debianArch: string, suites: readonly string[]): PrivateAptConfig {
  const entries = suites.map((name) => getSuite(archive, name, 'image'));
  const sources = entries.map((s) => suiteSourcesList(archive, s)).join('\n');
  const mirrors = [...new Set(entries.map((s) => archive.mirrors[s.mirror]?.url ?? s.mirror))].join(', ');
  const origin = `${mirrors} ${suites.join(' + ')} (${debianArch})`;
  return {
    stateDir: join(cacheDir, 'apt', `guest-${debianArch}-${suites.join('+')}`),
    arch: debianArch,
    sources,
    origin,
    stage: 'image',
    hints: {
      unreachable: `check the network and ${mirrors} (KVMATRIX_DEBIAN_MIRROR / KVMATRIX_DEBIAN_SECURITY_MIRROR replace them)`,
      signature: `${archive.keyring} cannot verify ${suites.join(', ')}: update debian-archive-keyring, or set keyring: in ${archive.file}`,
      missing: `the mirror does not carry ${suites.join(', ')} for ${debianArch}: name suites that have ${debianArch} in guest/image/packages.yaml`,
    },
  };
}

export async function downloadDebs(opts: {
  cacheDir: string;
  archive: DebianArchive;
  debianArch: string;
  suites: readonly string[];
  packages: readonly string[];
  logPath: string;
}): Promise<DownloadedDeb[]> {
  const cfg = guestAptConfig(opts.cacheDir, opts.archive, opts.debianArch, opts.suites);
  const debDir = join(cfg.stateDir, 'debs');
  return withPrivateApt(cfg, async (apt) => {
    const existing = await readdir(debDir).catch(() => [] as string[]);
    const missing = opts.packages.filter((p) => !existing.some((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')));
    // Packages already downloaded need no lists (and no network).
    if (missing.length > 0) {
      await apt.ensureLists({ logPath: opts.logPath });
      await apt.download(missing.map((p) => `${p}:${opts.debianArch}`), debDir, opts.logPath, 10 * 60_000);
    }
    const files = await readdir(debDir);
    return opts.packages.map((name) => {
      // Several versions may pile up; the newest file name sorts last.
      const matches = files.filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')).sort();
      const file = matches[matches.length - 1];
      if (!file) throw new InfraError('APT_DOWNLOAD_FAILED', `no .deb for ${name} (${opts.debianArch}) after download`, { stage: 'image' });
      return { name, file: join(debDir, file) };
    });
  });
}
