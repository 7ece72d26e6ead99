// A release tarball from a URL (kernel.org layout:
// https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.6.63.tar.xz) or a
// file:// mirror. Downloaded (resumably) into ${cacheDir}/downloads, verified
// against a sha256, checked for unsafe paths and unpacked once into
// ${cacheDir}/sources/tarball-<name>-<sha12>.
import { join } from 'node:path';
import { copyFile, link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { existsSync, readJson, writeDirAtomically, writeFileAtomically } from '../util/fs.ts';
import { sha256 } from '../util/hash.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceProvider, SourceSpec } from './types.ts';
import { treeKernelVersion } from './kernel-version.ts';
import { downloadVerified, fetchSmallText, type ChecksumOrigin } from './download.ts';
import { assertArchiveSafe, extractArchive } from './archive.ts';

type TarballSpec = Extract<SourceSpec, { provider: 'tarball' }>;

type Compression = 'xz' | 'bz2' | 'gz' | 'none';

const EXTENSIONS: readonly [string, Compression][] = [
  ['.tar.xz', 'xz'], ['.txz', 'xz'],
  ['.tar.bz2', 'bz2'], ['.tbz2', 'bz2'],
  ['.tar.gz', 'gz'], ['.tgz', 'gz'],
  ['.tar', 'none'],
];

export interface TarballUrl {
  url: URL;
  /** Last path component, e.g. "linux-6.6.63.tar.xz". */
  fileName: string;
  /** Without the archive extension, e.g. "linux-6.6.63". */
  name: string;
  compression: Compression;
}

export function parseTarballUrl(text: string): TarballUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError('SOURCE_SPEC', `tarball url "${text}" is not a valid URL`, { stage: 'source' });
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new UserError('SOURCE_SPEC', `tarball url must be http(s):// or file://, got "${text}"`, { stage: 'source' });
  }
  let fileName: string;
  try {
    fileName = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  } catch {
    fileName = '';
  }
  // The name becomes a cache file name: no separators, no dot files.
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(fileName)) {
    throw new UserError('SOURCE_SPEC', `tarball url "${text}" does not end in a plain file name`, { stage: 'source' });
  }
  const ext = EXTENSIONS.find(([e]) => fileName.endsWith(e));
  if (!ext || fileName.length === ext[0].length) {
    throw new UserError('SOURCE_SPEC', `tarball url "${text}" is not a supported archive (${EXTENSIONS.map(([e]) => e).join(', ')})`, { stage: 'source' });
  }
  return { url, fileName, name: fileName.slice(0, -ext[0].length), compression: ext[1] };
}

/**
 * The sha256 for `fileName` in a kernel.org `sha256sums.asc` (lines
 * `<hex>  linux-6.6.63.tar.xz`). The file is PGP clearsigned; we only parse the
 * hash lines. Checking the signature would need gpg and the kernel.org
 * keyring (autosigner key) and is NOT done: the list protects against
 * corrupted or truncated downloads, not against a compromised server. Pin
 * `sha256` in the config for that.
 */
export function parseSha256Sums(text: string, fileName: string): string | null {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('-----BEGIN PGP SIGNATURE')) break;
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)$/.exec(line);
    if (m && m[2] === fileName) return (m[1] as string).toLowerCase();
  }
  return null;
}

interface IndexRecord {
  url: string;
  sha256: string;
}

function treeDir(cacheDir: string, t: TarballUrl, sha: string): string {
  return join(cacheDir, 'sources', `tarball-${t.name}-${sha.slice(0, 12)}`);
}

async function cachedSource(tree: string, identity: string): Promise<KernelSource | null> {
  if (!existsSync(join(tree, 'Makefile'))) return null;
  const kernelVersion = await treeKernelVersion(tree);
  return kernelVersion ? { identity, tree, kernelVersion } : null;
}

async function checksumFromSums(ctx: Ctx, t: TarballUrl, logPath: string): Promise<string> {
  const sumsUrl = new URL('sha256sums.asc', t.url).href;
  const text = await fetchSmallText(ctx, sumsUrl, logPath);
  const found = text === null ? null : parseSha256Sums(text, t.fileName);
  if (!found) {
    throw new UserError('SOURCE_NO_CHECKSUM', `no sha256 for ${t.url.href}: the config has none and ${sumsUrl} ${text === null ? 'does not exist' : `has no line for ${t.fileName}`}`, {
      stage: 'source', hint: `add \`sha256: <hex>\` to this tarball source in the matrix config (sha256sum ${t.fileName})`,
    });
  }
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `sha256 of ${t.fileName} from ${sumsUrl} (signature not checked)` });
  return found;
}

/** Decompress if tar cannot (xz, bz2) into `work`, check every entry, then unpack atomically into `tree`. */
async function unpack(ctx: Ctx, archive: string, t: TarballUrl, tree: string, logPath: string): Promise<void> {
  const work = await mkdtemp(join(ctx.cacheDir, 'downloads', '.unpack-'));
  try {
    let tarFile = archive;
    if (t.compression === 'xz' || t.compression === 'bz2') {
      // Only run.ts spawns, and it cannot stream a child's stdout into tar,
      // so the tool decompresses a link (or copy) of the archive in place
      // (-f: xz and bzip2 refuse inputs with more than one hard link otherwise).
      const ext = t.compression === 'xz' ? '.tar.xz' : '.tar.bz2';
      const input = join(work, `archive${ext}`);
      await link(archive, input).catch(() => copyFile(archive, input));
      const [tool, args] = t.compression === 'xz' ? ['xz', ['-d', '-f', '-T0', input]] : ['bzip2', ['-d', '-f', input]];
      ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `decompressing ${t.fileName}` });
      const r = await run(tool, args, { logPath, timeoutMs: 30 * 60_000 });
      if (r.exitCode !== 0) {
        const missing = r.exitCode === null && !r.timedOut && r.signal === null;
        throw new InfraError('SOURCE_UNPACK', `${tool} could not decompress ${t.fileName}${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode ?? r.signal})`}`, {
          stage: 'source', logPath, logTail: r.stderr.slice(-2000),
          hint: missing ? `install ${tool === 'xz' ? 'xz-utils' : 'bzip2'}` : 'delete the download and rerun',
        });
      }
      tarFile = join(work, 'archive.tar');
    }
    ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `checking ${t.fileName}` });
    const entries = await assertArchiveSafe(tarFile, 1, t.fileName);
    ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `unpacking ${t.fileName} (${entries} entries) into the cache` });
    await writeDirAtomically(tree, async (tmp) => {
      await extractArchive(tarFile, tmp, 1, t.fileName);
      if (!(await treeKernelVersion(tmp))) {
        throw new UserError('SOURCE_NOT_A_TREE', `${t.url.href} does not hold a kernel tree (no top-level Makefile with VERSION/PATCHLEVEL under its top directory)`, { stage: 'source' });
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export const tarballProvider: SourceProvider<TarballSpec> = {
  async fetch(ctx: Ctx, spec: TarballSpec, logPath: string): Promise<KernelSource> {
    const t = parseTarballUrl(spec.url);
    if (spec.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(spec.sha256)) {
      throw new UserError('SOURCE_SPEC', `tarball sha256 must be 64 hex digits, got "${spec.sha256}"`, { stage: 'source' });
    }
    const downloads = join(ctx.cacheDir, 'downloads');
    // url -> sha256 learned from sha256sums.asc, so a cached tree needs no network.
    const indexPath = join(downloads, '.index', `${sha256(spec.url).slice(0, 16)}.json`);
    const indexed = async () => {
      const rec = await readJson<IndexRecord>(indexPath);
      return rec?.url === spec.url && /^[0-9a-f]{64}$/.test(rec.sha256) ? rec.sha256 : undefined;
    };
    const identityFor = (sha: string) => `tarball:${spec.url}#sha256=${sha}`;

    let expected = spec.sha256?.toLowerCase() ?? (await indexed());
    let origin: ChecksumOrigin = spec.sha256 ? 'config' : 'cache index';
    if (expected) {
      const hit = await cachedSource(treeDir(ctx.cacheDir, t, expected), identityFor(expected));
      if (hit) return hit;
    }

    await mkdir(downloads, { recursive: true });
    // Keyed by file name: two URLs with the same name share the .part and tree name.
    // Lock a per-file path (proper-lockfile tracks locks per locked path, not per lockfilePath).
    const release = await lockfile.lock(join(downloads, t.fileName), {
      realpath: false,
      retries: { retries: 1200, minTimeout: 500, maxTimeout: 2000 }, stale: 120000,
    });
    try {
      if (!expected) {
        expected = await indexed();
        if (!expected) {
          expected = await checksumFromSums(ctx, t, logPath);
          origin = 'sha256sums.asc';
        }
      }
      const tree = treeDir(ctx.cacheDir, t, expected);
      const hit = await cachedSource(tree, identityFor(expected));
      if (hit) return hit;
      const archive = join(downloads, t.fileName);
      await downloadVerified({ ctx, url: spec.url, dest: archive, sha256: expected, checksumOrigin: origin, logPath });
      if (!spec.sha256) await writeFileAtomically(indexPath, `${JSON.stringify({ url: spec.url, sha256: expected } satisfies IndexRecord)}\n`);
      await unpack(ctx, archive, t, tree, logPath);
      const kernelVersion = await treeKernelVersion(tree);
      if (!kernelVersion) throw new InfraError('SOURCE_BROKEN', `${tree} has no readable top-level Makefile`, { stage: 'source', hint: 'delete it and rerun' });
      return { identity: identityFor(expected), tree, kernelVersion };
    } finally {
      await release();
    }
  },
};
