// Download Debian packages for any architecture without touching the host's
// dpkg state: apt (harness/src/apt/private-apt.ts) runs with private lists,
// cache and an empty status file, from the host's own sources.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError } from '../errors.ts';
import { withPrivateApt, type PrivateAptConfig } from '../apt/private-apt.ts';

export interface DownloadedDeb {
  name: string;
  file: string;
}

/** The guest's apt: the host's sources, lists for `debianArch`, state under the cache. */
export function guestAptConfig(cacheDir: string, debianArch: string): PrivateAptConfig {
  const where = 'the Debian mirrors in /etc/apt/sources.list{,.d}';
  return {
    stateDir: join(cacheDir, 'apt', debianArch),
    arch: debianArch,
    origin: `${where} (${debianArch})`,
    stage: 'image',
    hints: {
      unreachable: `check that ${where} are reachable`,
      signature: 'the host\'s apt keys cannot verify its own sources: run `apt-get update` on the host and fix what it reports',
      missing: `check the suites named in ${where}`,
    },
  };
}

export async function downloadDebs(opts: {
  cacheDir: string;
  debianArch: string;
  packages: readonly string[];
  logPath: string;
}): Promise<DownloadedDeb[]> {
  const cfg = guestAptConfig(opts.cacheDir, opts.debianArch);
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
