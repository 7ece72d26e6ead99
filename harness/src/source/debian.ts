// Debian's linux-source-X.Y package: /usr/src/linux-source-X.Y.tar.xz, keyed by
// the package version, unpacked once into the cache. Two origins:
// - no `suite`: the package installed on the host (provisioned by apt as root);
// - `suite: trixie` (any suite of configs/debian-archive.yaml): the suite's .deb,
//   downloaded by apt with private state (no root, nothing installed, the
//   host's release irrelevant), checked against the SHA256 of apt's
//   signature-verified index, and recorded in the identity.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { readJson, writeDirAtomically, writeFileAtomically } from '../util/fs.ts';
import { sha256File } from '../util/hash.ts';
import type { Ctx } from '../stage.ts';
import { LINUX_SOURCE_REGEX, type KernelSource, type SourceProvider, type SourceSpec } from './types.ts';
import { treeKernelVersion } from './kernel-version.ts';
import { parseAptPolicy, type AptPolicy, type DebUri } from '../apt/parse.ts';
import { withPrivateApt } from '../apt/private-apt.ts';
import { describeOffer, getSuite, loadDebianArchive, suiteAptConfig, suiteOffer, type DebianArchive, type DebianSuite, type OfferedSource } from './debian-archive.ts';

type DebianSpec = Extract<SourceSpec, { provider: 'debian' }>;

export { parseAptPolicy };
export type DebianPackageInfo = AptPolicy;

export async function installedDebianVersion(pkg: string): Promise<string | null> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg]);
  if (r.exitCode !== 0) return null;
  const [status, version] = r.stdout.split('\t');
  return status?.endsWith('installed') && !status.includes('not-installed') && version ? version : null;
}

/** Names of the `linux-source-X.Y` packages the host's apt knows (one `apt-cache search`). */
export async function offeredDebianSourceNames(): Promise<string[]> {
  const r = await run('apt-cache', ['search', '--names-only', LINUX_SOURCE_REGEX], { env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n): n is string => !!n).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** `linux-source-X.Y` packages the host's apt sources offer, with candidate versions (for doctor). */
export async function offeredDebianSources(): Promise<{ name: string; candidate: string }[]> {
  const names = await offeredDebianSourceNames();
  const out: { name: string; candidate: string }[] = [];
  for (const name of names) {
    const p = await run('apt-cache', ['policy', name]);
    out.push({ name, candidate: /Candidate:\s*(\S+)/.exec(p.stdout)?.[1] ?? '?' });
  }
  return out;
}

/** The host apt's view of one package (`apt-cache policy`, no network, no root). */
export async function debianPackageInfo(pkg: string): Promise<DebianPackageInfo | null> {
  const r = await run('apt-cache', ['policy', '--', pkg], { env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    throw new InfraError('APT_UNAVAILABLE', `apt-cache policy ${pkg} failed (${r.exitCode === null ? 'not run' : `exit ${r.exitCode}`})`, {
      stage: 'provision', logTail: r.stderr.slice(-1000), hint: 'the debian source provider needs a Debian-like host with apt',
    });
  }
  return parseAptPolicy(r.stdout);
}

const safeVersion = (v: string) => v.replace(/[^\w.+-]/g, '_');

/** "debian:trixie:linux-source-6.12=6.12.117-1#sha256=<hex of the .deb>". Pure. */
export function suiteSourceIdentity(suite: string, pkg: string, version: string, debSha256: string): string {
  return `debian:${suite}:${pkg}=${version}#sha256=${debSha256}`;
}

/** Directory under `$CACHE/sources/` of a suite's unpacked package. Pure. */
export function suiteTreeName(suite: string, pkg: string, version: string): string {
  return `debian-${suite}-${pkg}-${safeVersion(version)}`;
}

/** Written next to the unpacked tree (`<tree>.json`) once it is complete. */
export interface SuiteSourceRecord {
  suite: string;
  package: string;
  version: string;
  /** sha256 of the .deb, computed here and equal to the index's SHA256. */
  sha256: string;
  url: string;
  fileName: string;
  size: number;
}

/** Extract a kernel source tarball (top directory stripped) into `dir`. */
async function extractKernelTarball(tarball: string, dir: string, logPath: string): Promise<void> {
  const r = await run('tar', ['-xf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner'], { logPath, timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) throw new InfraError('SOURCE_UNPACK', `unpacking ${tarball} failed (exit ${r.exitCode ?? r.signal})`, { stage: 'source', logPath, logTail: r.stderr.slice(-2000) });
}

/** The host-installed package (no suite): today's behaviour. */
async function fetchInstalled(ctx: Ctx, spec: DebianSpec, logPath: string): Promise<KernelSource> {
  const version = await installedDebianVersion(spec.package);
  if (!version) {
    throw new InfraError('SOURCE_NOT_INSTALLED', `${spec.package} is not installed`, {
      stage: 'source', hint: `run \`npm run doctor\` or: sudo apt-get install ${spec.package} (or name a suite: to download it without root)`,
    });
  }
  if (spec.version && spec.version !== version) {
    throw new UserError('SOURCE_VERSION', `${spec.package} ${spec.version} requested but ${version} is installed`, { stage: 'source' });
  }
  const series = spec.package.replace(/^linux-source-/, '');
  const tarball = `/usr/src/linux-source-${series}.tar.xz`;
  const tree = join(ctx.cacheDir, 'sources', `debian-${spec.package}-${safeVersion(version)}`);
  await mkdir(join(ctx.cacheDir, 'sources'), { recursive: true });
  // Lock the tree's own path (realpath off: it may not exist yet). proper-lockfile
  // tracks locks by that path, so one shared dir with several lockfilePaths would mix them up.
  const release = await lockfile.lock(tree, { realpath: false, retries: { retries: 600, minTimeout: 500, maxTimeout: 2000 }, stale: 120000 });
  try {
    if (!existsSync(join(tree, 'Makefile'))) {
      ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `unpacking ${tarball} (${version}) into the cache` });
      await writeDirAtomically(tree, (tmp) => extractKernelTarball(tarball, tmp, logPath));
    }
  } finally {
    await release();
  }
  const kernelVersion = await treeKernelVersion(tree);
  if (!kernelVersion) throw new InfraError('SOURCE_BROKEN', `${tree} has no readable top-level Makefile`, { stage: 'source', hint: 'delete it and rerun' });
  return { identity: `debian:${spec.package}=${version}`, tree, kernelVersion };
}

/** A suite's package already unpacked (tree and record), or null. With `sha256`, only that very .deb counts. */
async function cachedSuiteSource(cacheDir: string, suite: string, pkg: string, version: string, sha256?: string): Promise<KernelSource | null> {
  const tree = join(cacheDir, 'sources', suiteTreeName(suite, pkg, version));
  const rec = await readJson<SuiteSourceRecord>(`${tree}.json`);
  if (!rec || rec.suite !== suite || rec.package !== pkg || rec.version !== version || (sha256 && rec.sha256 !== sha256)) return null;
  const kernelVersion = await treeKernelVersion(tree);
  return kernelVersion ? { identity: suiteSourceIdentity(suite, pkg, version, rec.sha256), tree, kernelVersion } : null;
}

/** "linux-source-6.12=6.12.117-1" for every version of `suite` unpacked in the cache. */
export async function cachedSuiteVersions(cacheDir: string, suite: string): Promise<string[]> {
  const dir = join(cacheDir, 'sources');
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.filter((f) => f.startsWith(`debian-${suite}-`) && f.endsWith('.json'))) {
    const rec = await readJson<SuiteSourceRecord>(join(dir, n));
    if (rec?.suite === suite && (await cachedSuiteSource(cacheDir, suite, rec.package, rec.version))) out.push(`${rec.package}=${rec.version}`);
  }
  return out;
}

/** What a suite offers on this host, for the plan check: never throws for an unreachable archive, says so instead. */
export async function hostSuiteFacts(cacheDir: string, archive: DebianArchive, suiteName: string): Promise<{ packages: OfferedSource[]; cached: string[]; unavailable?: string }> {
  const cached = await cachedSuiteVersions(cacheDir, suiteName);
  try {
    const offer = await suiteOffer(cacheDir, archive, getSuite(archive, suiteName), 'source');
    return { packages: offer.packages, cached, ...(offer.lists.warning ? { unavailable: offer.lists.warning } : {}) };
  } catch (err) {
    if (err instanceof InfraError) return { packages: [], cached, unavailable: err.message };
    throw err;
  }
}

/** Which version of the suite to take (the pinned one, else the candidate) and where apt fetches it from. */
async function resolveSuiteDeb(ctx: Ctx, archive: DebianArchive, suite: DebianSuite, spec: DebianSpec, logPath: string): Promise<{ version: string; deb: DebUri }> {
  return withPrivateApt(suiteAptConfig(ctx.cacheDir, archive, suite, 'source'), async (apt) => {
    const lists = await apt.ensureLists({ logPath });
    if (lists.warning) ctx.report({ kind: 'warn', cell: ctx.cell, stage: 'source', text: lists.warning });
    if (lists.refreshed) ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `fetched the ${suite.name} package lists in ${(lists.updateMs / 1000).toFixed(1)} s` });
    const policy = (await apt.policy([spec.package])).get(spec.package);
    const offered = async () => {
      const names = await apt.searchNames(LINUX_SOURCE_REGEX);
      const policies = await apt.policy(names);
      return describeOffer(names.map((name) => ({ name, candidate: policies.get(name)?.candidate ?? null, versions: policies.get(name)?.versions ?? [] })));
    };
    if (!policy || (!policy.candidate && policy.versions.length === 0)) {
      throw new UserError('SOURCE_UNKNOWN_PACKAGE', `${suite.name} has no ${spec.package}. Available in ${suite.name}: ${await offered()}`, {
        stage: 'source', hint: 'use one of those packages, or a suite that has this one (`kvmatrix doctor` lists every suite\'s)',
      });
    }
    const version = spec.version ?? policy.candidate ?? (policy.versions[0] as string);
    if (spec.version && !policy.versions.includes(spec.version)) {
      throw new UserError('SOURCE_VERSION', `${suite.name} does not offer ${spec.package} ${spec.version}. Available in ${suite.name}: ${spec.package} ${policy.versions.join(', ')}`, {
        stage: 'source', hint: 'use one of those versions, or drop version: to take the suite\'s current one',
      });
    }
    const deb = await apt.printUri(spec.package, version);
    if (!deb || !/^[A-Za-z0-9][A-Za-z0-9._+~%-]*\.deb$/.test(deb.fileName)) {
      throw new InfraError('APT_QUERY_FAILED', `apt cannot say where ${spec.package} ${version} of ${suite.name} comes from${deb ? ` (file name "${deb.fileName}")` : ''}`, { stage: 'source', logPath });
    }
    if (!deb.sha256) throw new InfraError('APT_QUERY_FAILED', `the ${suite.name} index gives no SHA256 for ${deb.fileName}`, { stage: 'source', logPath });
    return { version, deb };
  });
}

/** Make the suite's .deb exist in `debDir` with the index's sha256 (kept: a deleted tree re-unpacks offline). */
async function ensureDeb(ctx: Ctx, archive: DebianArchive, suite: DebianSuite, spec: DebianSpec, version: string, deb: DebUri, debDir: string, logPath: string): Promise<string> {
  const file = join(debDir, deb.fileName);
  if (existsSync(file) && (await sha256File(file)) === deb.sha256) return file;
  await rm(file, { force: true });
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `downloading ${deb.url} (${(deb.size / 1024 ** 2).toFixed(1)} MiB) with apt` });
  const started = Date.now();
  await withPrivateApt(suiteAptConfig(ctx.cacheDir, archive, suite, 'source'), (apt) => apt.download([`${spec.package}=${version}`], debDir, logPath));
  if (!existsSync(file)) throw new InfraError('APT_DOWNLOAD_FAILED', `apt-get download of ${spec.package} ${version} produced no ${deb.fileName}`, { stage: 'source', logPath });
  const actual = await sha256File(file);
  if (actual !== deb.sha256) {
    await rm(file, { force: true });
    throw new InfraError('DOWNLOAD_CHECKSUM_MISMATCH', `${deb.fileName}: sha256 ${actual}, but the ${suite.name} index says ${deb.sha256}; the download was discarded`, {
      stage: 'source', logPath, hint: 'rerun; if it persists the mirror is serving a bad file',
    });
  }
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `downloaded ${deb.fileName} in ${((Date.now() - started) / 1000).toFixed(1)} s, sha256 ${actual} (as in the signed index)` });
  return file;
}

/** `dpkg-deb -x` the package aside, then unpack its `usr/src/linux-source-X.Y.tar.xz` into `tree`, atomically. */
async function unpackDeb(ctx: Ctx, debFile: string, pkg: string, tree: string, workRoot: string, logPath: string): Promise<void> {
  const series = pkg.replace(/^linux-source-/, '');
  const started = Date.now();
  const work = await mkdtemp(join(workRoot, '.unpack-'));
  try {
    const x = await run('dpkg-deb', ['-x', debFile, work], { logPath, timeoutMs: 10 * 60_000 });
    if (x.exitCode !== 0) {
      throw new InfraError('SOURCE_UNPACK', `dpkg-deb -x ${debFile} failed (exit ${x.exitCode ?? x.signal})`, { stage: 'source', logPath, logTail: x.stderr.slice(-2000), hint: 'delete the .deb and rerun' });
    }
    const tarball = join(work, 'usr', 'src', `linux-source-${series}.tar.xz`);
    if (!existsSync(tarball)) throw new InfraError('SOURCE_UNPACK', `${debFile} has no usr/src/linux-source-${series}.tar.xz`, { stage: 'source', logPath });
    ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `unpacking linux-source-${series}.tar.xz into the cache` });
    await writeDirAtomically(tree, async (tmp) => {
      await extractKernelTarball(tarball, tmp, logPath);
      const v = await treeKernelVersion(tmp);
      if (!v || !(v === series || v.startsWith(`${series}.`) || v.startsWith(`${series}-`))) {
        throw new InfraError('SOURCE_BROKEN', `${debFile} unpacked to a tree of version ${v ?? '(no Makefile)'}, not ${series}`, { stage: 'source', logPath });
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `unpacked ${pkg} in ${((Date.now() - started) / 1000).toFixed(1)} s` });
}

/** A suite's package: resolved from the suite's lists, downloaded and unpacked once. `archive`: configs/debian-archive.yaml unless given. */
export async function fetchSuiteSource(ctx: Ctx, spec: DebianSpec & { suite: string }, logPath: string, archive: DebianArchive = loadDebianArchive()): Promise<KernelSource> {
  const suite = getSuite(archive, spec.suite, 'source');
  // A pinned version already unpacked needs no network (and survives the suite dropping it).
  if (spec.version) {
    const hit = await cachedSuiteSource(ctx.cacheDir, suite.name, spec.package, spec.version);
    if (hit) return hit;
  }
  const { version, deb } = await resolveSuiteDeb(ctx, archive, suite, spec, logPath);
  const sha256 = deb.sha256 as string;
  const hit = await cachedSuiteSource(ctx.cacheDir, suite.name, spec.package, version, sha256);
  if (hit) return hit;

  const tree = join(ctx.cacheDir, 'sources', suiteTreeName(suite.name, spec.package, version));
  const debDir = join(ctx.cacheDir, 'downloads', 'debian', suite.name);
  await mkdir(join(ctx.cacheDir, 'sources'), { recursive: true });
  await mkdir(debDir, { recursive: true });
  const release = await lockfile.lock(tree, { realpath: false, retries: { retries: 1200, minTimeout: 500, maxTimeout: 2000 }, stale: 120000 });
  try {
    const again = await cachedSuiteSource(ctx.cacheDir, suite.name, spec.package, version, sha256);
    if (again) return again;
    const debFile = await ensureDeb(ctx, archive, suite, spec, version, deb, debDir, logPath);
    // The record goes away first: a tree without one is never taken as complete.
    await rm(`${tree}.json`, { force: true });
    await unpackDeb(ctx, debFile, spec.package, tree, debDir, logPath);
    const record: SuiteSourceRecord = { suite: suite.name, package: spec.package, version, sha256, url: deb.url, fileName: deb.fileName, size: deb.size };
    await writeFileAtomically(`${tree}.json`, `${JSON.stringify(record, null, 2)}\n`);
  } finally {
    await release();
  }
  const done = await cachedSuiteSource(ctx.cacheDir, suite.name, spec.package, version, sha256);
  if (!done) throw new InfraError('SOURCE_BROKEN', `${tree} has no readable top-level Makefile`, { stage: 'source', hint: 'delete it and rerun' });
  return done;
}

export const debianProvider: SourceProvider<DebianSpec> = {
  async fetch(ctx: Ctx, spec: DebianSpec, logPath: string): Promise<KernelSource> {
    if (!/^linux-source-\d+\.\d+$/.test(spec.package)) {
      throw new UserError('SOURCE_SPEC', `debian source package must look like linux-source-X.Y, got "${spec.package}"`, { stage: 'source' });
    }
    return spec.suite === undefined ? fetchInstalled(ctx, spec, logPath) : fetchSuiteSource(ctx, { ...spec, suite: spec.suite }, logPath);
  },
};
