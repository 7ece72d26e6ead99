// Download Debian packages for any architecture without touching the host's
// dpkg state: apt runs with private lists, cache and an empty status file.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';

export interface DownloadedDeb {
  name: string;
  file: string;
}

const LIST_MAX_AGE_MS = 24 * 3600 * 1000;

function aptOptions(stateDir: string, debianArch: string): string[] {
  return [
    `-oAPT::Architecture=${debianArch}`,
    `-oAPT::Architectures=${debianArch}`,
    `-oDir::State::Lists=${join(stateDir, 'lists')}`,
    `-oDir::Cache=${join(stateDir, 'cache')}`,
    `-oDir::State::status=${join(stateDir, 'status')}`,
    '-oDebug::NoLocking=1',
    // The private dirs belong to us, not to _apt: download as the current user.
    ...(process.getuid?.() === 0 ? ['-oAPT::Sandbox::User=root'] : []),
    '-qq',
  ];
}

async function listsFresh(stateDir: string): Promise<boolean> {
  try {
    const entries = await readdir(join(stateDir, 'lists'));
    if (!entries.some((e) => e.endsWith('_Packages') || e.includes('Packages'))) return false;
    return Date.now() - (await stat(join(stateDir, 'lists'))).mtimeMs < LIST_MAX_AGE_MS;
  } catch {
    return false;
  }
}

export async function downloadDebs(opts: {
  cacheDir: string;
  debianArch: string;
  packages: readonly string[];
  logPath: string;
}): Promise<DownloadedDeb[]> {
  const stateDir = join(opts.cacheDir, 'apt', opts.debianArch);
  const debDir = join(stateDir, 'debs');
  await mkdir(join(stateDir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(stateDir, 'cache', 'archives', 'partial'), { recursive: true });
  await mkdir(debDir, { recursive: true });
  if (!existsSync(join(stateDir, 'status'))) await writeFile(join(stateDir, 'status'), '');
  const release = await lockfile.lock(stateDir, { retries: { retries: 120, minTimeout: 250, maxTimeout: 2000 }, stale: 60000 });
  try {
    const opt = aptOptions(stateDir, opts.debianArch);
    if (!(await listsFresh(stateDir))) {
      const up = await run('apt-get', [...opt, 'update'], { logPath: opts.logPath, timeoutMs: 10 * 60_000 });
      if (up.exitCode !== 0) {
        throw new InfraError('APT_UPDATE_FAILED', `apt-get update for ${opts.debianArch} failed (exit ${up.exitCode})`, {
          stage: 'image', logPath: opts.logPath, logTail: up.stderr.trim().split('\n').slice(-10).join('\n'),
          hint: 'check that the Debian mirrors in /etc/apt/sources.list are reachable',
        });
      }
    }
    const existing = new Set(await readdir(debDir));
    const missing = opts.packages.filter((p) => ![...existing].some((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')));
    if (missing.length > 0) {
      const dl = await run('apt-get', [...opt, 'download', ...missing.map((p) => `${p}:${opts.debianArch}`)], {
        cwd: debDir, logPath: opts.logPath, timeoutMs: 10 * 60_000,
      });
      if (dl.exitCode !== 0) {
        throw new InfraError('APT_DOWNLOAD_FAILED', `apt-get download of ${missing.join(', ')} (${opts.debianArch}) failed`, {
          stage: 'image', logPath: opts.logPath, logTail: dl.stderr.trim().split('\n').slice(-10).join('\n'),
        });
      }
    }
    const files = await readdir(debDir);
    return opts.packages.map((name) => {
      // Several versions may pile up; the newest file name sorts last.
      const matches = files.filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')).sort();
      const file = matches[matches.length - 1];
      if (!file) throw new InfraError('APT_DOWNLOAD_FAILED', `no .deb for ${name} (${opts.debianArch}) after download`, { stage: 'image' });
      return { name, file: join(debDir, file) };
    });
  } finally {
    await release();
  }
}
