// The plan check: everything a run needs from its config, verified before
// anything is created, installed or unpacked. A problem found here is the
// user's to fix, so it names the file, the field (JSON path) and what to do;
// all problems are reported at once.
//
// It reads the files the config names (patches, suites, catalogs, local
// trees) but changes nothing. What it needs from the host beyond files (apt's
// package list, the arch registry, how a cell id becomes a directory) comes in
// `PlanFacts`, so tests can hand in their own.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { ArchProfile } from '../arch/profile.ts';
import { planCells, type MatrixConfig } from './config.ts';
import { parsePatchFile } from '../patch/parse.ts';
import { loadKselftestCatalog } from '../kselftest/catalog.ts';
import { kernelVersionFromMakefile } from '../source/kernel-version.ts';
import { ALLOWED_GIT_SCHEMES, classifyGitUrl, gitRefProblem, gitUrlProblem } from '../source/git-url.ts';
import type { DebianPackageInfo } from '../source/debian.ts';

export interface PlanProblem {
  /** Stable code, as on UserError. */
  code: string;
  /** The file the problem is in (the config, unless said otherwise). */
  file: string;
  /** JSON path of the field in `file`, e.g. /variants/1/patches/0. */
  at: string;
  message: string;
  /** What to do about it. */
  hint: string;
}

/** What one Debian suite offers, for sources with `suite:`. */
export interface DebianSuiteFacts {
  /** Its `linux-source-X.Y` packages: candidate and every version its lists carry (newest first). */
  packages: readonly { name: string; candidate: string | null; versions: readonly string[] }[];
  /** "linux-source-6.12=6.12.117-1" for each version of the suite already unpacked in the cache (usable even once the suite dropped it). */
  cached: readonly string[];
  /** Why the suite's lists could not be read (archive unreachable, none fetched before): then the source stage reports it, not the plan check. */
  unavailable?: string;
}

export interface PlanFacts {
  /** The host apt's view of a Debian package; null when apt does not know it. */
  debianPackage(name: string): Promise<DebianPackageInfo | null>;
  /** `linux-source-X.Y` names the host's apt knows, for "Available: ...". */
  debianOffered(): Promise<string[]>;
  /** Suites configs/debian-archive.yaml knows, for "Available: ...". */
  debianSuites(): readonly string[];
  /**
   * What a suite offers, from its private apt lists (fetched when older than
   * a day: the one network access the plan check may do).
   */
  debianSuiteOffer(suite: string): Promise<DebianSuiteFacts>;
  /** The arch registry (configs/arch/*.yaml). */
  arches: readonly Pick<ArchProfile, 'name' | 'aliases'>[];
  /** How a cell id becomes its directory name under cells/. */
  cellDirName(id: string): string;
}

export interface PlanScope {
  /** Kernel ids whose sources this run fetches (default: all). Only their sources must be resolvable here and now. */
  kernels?: readonly string[];
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

// ------------------------------------------------------------- arches

/** Every arch has a profile; none is listed twice (an alias is the same arch). */
export function checkArches(cfg: MatrixConfig, arches: PlanFacts['arches']): PlanProblem[] {
  const out: PlanProblem[] = [];
  const names = arches.map((a) => a.name);
  const aliases = arches.flatMap((a) => a.aliases.map((al) => `${al}=${a.name}`));
  cfg.arches.forEach((a, i) => {
    if (!names.includes(a)) {
      out.push({
        code: 'UNKNOWN_ARCH', file: cfg.file, at: `/arches/${i}`,
        message: `unknown arch "${a}". Available: ${names.join(', ')}${aliases.length ? ` (aliases: ${aliases.join(', ')})` : ''}`,
        hint: 'use a profile name or alias from configs/arch/*.yaml; a new arch needs a profile there',
      });
    } else if (cfg.arches.indexOf(a) !== i) {
      out.push({
        code: 'DUPLICATE_ARCH', file: cfg.file, at: `/arches/${i}`,
        message: `arch ${a} is listed twice (/arches/${cfg.arches.indexOf(a)} and /arches/${i}; aliases name the same arch): its cells would overwrite each other`,
        hint: 'list each arch once (use repeat: N to run cells several times)',
      });
    }
  });
  return out;
}

// ------------------------------------------------------------- variants and patches

/** "base" has no patches; every other variant has some (or it would silently equal base). */
export function checkVariants(cfg: MatrixConfig): PlanProblem[] {
  const out: PlanProblem[] = [];
  cfg.variants.forEach((v, i) => {
    if (v.name === 'base' && v.patches.length > 0) {
      out.push({
        code: 'VARIANT_BASE_PATCHED', file: cfg.file, at: `/variants/${i}/patches`,
        message: 'the base variant must have no patches: every other variant is compared against the unpatched kernel',
        hint: 'move these patches to a variant of their own',
      });
    }
    if (v.name !== 'base' && v.patches.length === 0) {
      out.push({
        code: 'VARIANT_EMPTY', file: cfg.file, at: `/variants/${i}/patches`,
        message: `variant "${v.name}" has no patches, so it would build exactly the base kernel`,
        hint: `list its patch files or series directories under patches: (relative to ${cfg.baseDir})`,
      });
    }
  });
  return out;
}

/** Problems with one patch file: unreadable, or no diff in it. */
function checkPatchFile(cfg: MatrixConfig, at: string, file: string, listedAs: string): PlanProblem | null {
  const st = statOrNull(file);
  if (!st) {
    return { code: 'PATCH_MISSING', file: cfg.file, at, message: `${listedAs} not found (looked at ${file})`, hint: `create it or correct the path (relative to ${cfg.baseDir})` };
  }
  if (!st.isFile()) {
    return { code: 'PATCH_MISSING', file: cfg.file, at, message: `${listedAs} (${file}) is not a file`, hint: 'name a patch file, or a directory with a series file' };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { code: 'PATCH_UNREADABLE', file: cfg.file, at, message: `${file} cannot be read: ${(err as Error).message}`, hint: 'check its permissions' };
  }
  if (!parsePatchFile(text).some((m) => m.files.length > 0)) {
    return {
      code: 'PATCH_NOT_A_PATCH', file: cfg.file, at,
      message: `${file} contains no diff (no "diff --git" or "--- a/" / "+++ b/" lines)${text.trim() === '' ? ': it is empty' : ''}`,
      hint: 'use `git format-patch` output, an mbox of patches or a unified diff',
    };
  }
  return null;
}

/** Every patch path exists; a directory has a non-empty `series` whose entries exist; each file holds a diff. */
export function checkPatches(cfg: MatrixConfig): PlanProblem[] {
  const out: PlanProblem[] = [];
  cfg.variants.forEach((v, i) => v.patches.forEach((p, j) => {
    const at = `/variants/${i}/patches/${j}`;
    const abs = resolve(cfg.baseDir, p);
    const st = statOrNull(abs);
    if (!st?.isDirectory()) {
      const problem = checkPatchFile(cfg, at, abs, `patch "${p}"`);
      if (problem) out.push(problem);
      return;
    }
    const seriesPath = join(abs, 'series');
    let series: string;
    try {
      series = readFileSync(seriesPath, 'utf8');
    } catch {
      out.push({ code: 'PATCH_SERIES_MISSING', file: cfg.file, at, message: `${abs} is a directory without a series file`, hint: `list its patch files in order, one per line, in ${seriesPath}` });
      return;
    }
    const entries = series.split('\n').map((l, n) => ({ name: l.replace(/#.*/, '').trim(), line: n + 1 })).filter((e) => e.name !== '');
    if (entries.length === 0) {
      out.push({ code: 'PATCH_SERIES_EMPTY', file: cfg.file, at, message: `${seriesPath} lists no patches, so variant "${v.name}" would equal base`, hint: 'list the patch files in order, one per line (# starts a comment)' });
      return;
    }
    for (const e of entries) {
      const problem = checkPatchFile(cfg, at, join(abs, e.name), `${seriesPath}:${e.line}: "${e.name}"`);
      if (problem) out.push(problem);
    }
  }));
  return out;
}

// ------------------------------------------------------------- suites

/** Suite programs and sources exist; kselftest catalogs load and `only` names programs in them. */
export function checkSuites(cfg: MatrixConfig): PlanProblem[] {
  const out: PlanProblem[] = [];
  cfg.suites.forEach((s, i) => {
    const field = s.kind === 'c-source' ? 'source' : s.kind === 'binary' ? 'path' : 'catalog';
    const rel = s.kind === 'c-source' ? s.source : s.kind === 'binary' ? s.path : s.catalog;
    const abs = resolve(cfg.baseDir, rel);
    const at = `/suites/${i}/${field}`;
    const st = statOrNull(abs);
    if (!st?.isFile()) {
      out.push({
        code: 'SUITE_MISSING', file: cfg.file, at,
        message: `${s.kind} suite "${s.name}": ${abs} ${st ? 'is not a file' : 'not found'}`,
        hint: `correct the path (relative to ${cfg.baseDir})`,
      });
      return;
    }
    if (s.kind !== 'kselftest') return;
    let names: string[];
    try {
      names = loadKselftestCatalog(abs).map((p) => p.name);
    } catch (err) {
      out.push({ code: 'KSELFTEST_CATALOG_INVALID', file: cfg.file, at, message: `catalog of suite "${s.name}": ${(err as Error).message}`, hint: 'fix the catalog (see configs/kselftests/mm.yaml)' });
      return;
    }
    (s.only ?? []).forEach((n, k) => {
      if (!names.includes(n)) {
        out.push({ code: 'KSELFTEST_UNKNOWN_PROGRAM', file: cfg.file, at: `/suites/${i}/only/${k}`, message: `"${n}" is not in ${abs}. Available: ${names.join(', ')}`, hint: 'use a program name from the catalog' });
      }
    });
  });
  return out;
}

// ------------------------------------------------------------- expectations

/**
 * Could `pattern` ever match a case id of one of `suites`? Case ids are
 * SUITE/CASE and `*` matches anything (even "/"), so the literal text before
 * the first `*` must agree with some "SUITE/".
 */
export function patternCanMatchSuite(pattern: string, suites: readonly string[]): boolean {
  const star = pattern.indexOf('*');
  if (star < 0 && !pattern.includes('/')) return false;
  const literal = star < 0 ? pattern : pattern.slice(0, star);
  return suites.some((s) => `${s}/`.startsWith(literal) || literal.startsWith(`${s}/`));
}

const SINGULAR = { kernels: 'kernel', arches: 'arch', variants: 'variant' } as const;

/** Expectations name only kernels, arches, variants and suites of this config (a typo would make them vanish silently). */
export function checkExpectations(cfg: MatrixConfig): PlanProblem[] {
  const out: PlanProblem[] = [];
  const kernels = cfg.kernels.map((k) => k.id);
  const variants = cfg.variants.map((v) => v.name);
  const suites = cfg.suites.map((s) => s.name);
  const refs = (i: number, field: 'kernels' | 'arches' | 'variants', given: readonly string[] | undefined, valid: readonly string[]) => {
    (given ?? []).forEach((name, j) => {
      if (!valid.includes(name)) {
        out.push({
          code: 'EXPECTATION_UNKNOWN_NAME', file: cfg.file, at: `/expectations/${i}/${field}/${j}`,
          message: `unknown ${SINGULAR[field]} "${name}": this expectation would never apply. Available: ${valid.join(', ')}`,
          hint: `use one of the ${field} defined in ${cfg.file}`,
        });
      }
    });
  };
  cfg.expectations.forEach((e, i) => {
    refs(i, 'kernels', e.kernels, kernels);
    refs(i, 'arches', e.arches, cfg.arches);
    refs(i, 'variants', e.variants, variants);
    // `cases` may become optional (cell-state expectations): nothing to check then.
    ((e.cases as string[] | undefined) ?? []).forEach((pattern, j) => {
      if (!patternCanMatchSuite(pattern, suites)) {
        out.push({
          code: 'EXPECTATION_UNKNOWN_SUITE', file: cfg.file, at: `/expectations/${i}/cases/${j}`,
          message: `"${pattern}" can match no case: case ids are SUITE/CASE and the suites are ${suites.join(', ')}`,
          hint: 'start the pattern with a suite name and "/" (a * matches any run of characters)',
        });
      }
    });
  });
  return out;
}

// ------------------------------------------------------------- cells

/** Two planned cells must never share a result directory (one would overwrite the other). */
export function checkCellDirs(cfg: MatrixConfig, cellDirName: (id: string) => string): PlanProblem[] {
  const byDir = new Map<string, Set<string>>();
  for (const c of planCells(cfg)) {
    const dir = cellDirName(c.id);
    byDir.set(dir, (byDir.get(dir) ?? new Set()).add(c.id));
  }
  const out: PlanProblem[] = [];
  const reported = new Set<string>();
  for (const [dir, ids] of byDir) {
    if (ids.size < 2) continue;
    const idList = [...ids];
    const kernelIds = [...new Set(planCells(cfg).filter((c) => ids.has(c.id)).map((c) => c.kernel.id))];
    const key = kernelIds.join('\0');
    if (reported.has(key)) continue;
    reported.add(key);
    const at = kernelIds.map((k) => `/kernels/${cfg.kernels.findIndex((x) => x.id === k)}/id`).join(' and ');
    out.push({
      code: 'CELL_ID_COLLISION', file: cfg.file, at,
      message: `cells ${idList.map((id) => `"${id}"`).join(' and ')} would share the result directory cells/${dir} (every character outside A-Z a-z 0-9 . _ - becomes "_")`,
      hint: 'give the kernels ids that differ in letters, digits, ".", "_" or "-"',
    });
  }
  return out;
}

// ------------------------------------------------------------- sources

/** What a source spec says, checked without touching the network: URL schemes, git refs. */
export async function checkSourceSpecs(cfg: MatrixConfig): Promise<PlanProblem[]> {
  const out: PlanProblem[] = [];
  for (const [i, k] of cfg.kernels.entries()) {
    const at = `/kernels/${i}/source`;
    const s = k.source;
    if (s.provider === 'tarball') {
      // Loaded only when a config has tarballs (it brings the HTTP client).
      const { parseTarballUrl } = await import('../source/tarball.ts');
      let protocol: string;
      try {
        protocol = parseTarballUrl(s.url).url.protocol;
      } catch (err) {
        out.push({ code: 'SOURCE_SPEC', file: cfg.file, at: `${at}/url`, message: (err as Error).message, hint: 'use an https:// URL of a .tar.xz/.tar.gz/.tar.bz2/.tar release archive' });
        continue;
      }
      if (protocol !== 'https:' && protocol !== 'http:') {
        out.push({
          code: 'SOURCE_URL_SCHEME', file: cfg.file, at: `${at}/url`,
          message: `tarball url "${s.url}" uses ${protocol.replace(/:$/, '')}://; only https:// and http:// are fetched`,
          hint: 'download it over https://, or unpack the archive and use { provider: local, path: DIR }',
        });
      }
    }
    if (s.provider === 'git') {
      const kind = classifyGitUrl(s.url, cfg.baseDir);
      const urlProblem = gitUrlProblem(s.url);
      if (kind.kind !== 'helper' && urlProblem) {
        out.push({ code: 'SOURCE_SPEC', file: cfg.file, at: `${at}/url`, message: urlProblem, hint: 'use an https://, git:// or ssh:// URL, user@host:path, or a path to a local repository' });
      } else {
        if (kind.kind === 'helper') {
          out.push({
            code: 'SOURCE_URL_SCHEME', file: cfg.file, at: `${at}/url`,
            message: `git url "${s.url}" uses the ${kind.transport}:: remote helper, which runs arbitrary commands or transports; it is not allowed`,
            hint: 'use an https://, git:// or ssh:// URL, user@host:path, or a path to a local repository',
          });
        } else if (kind.kind === 'remote' && !(ALLOWED_GIT_SCHEMES as readonly string[]).includes(kind.scheme)) {
          out.push({
            code: 'SOURCE_URL_SCHEME', file: cfg.file, at: `${at}/url`,
            message: `git url "${s.url}" uses ${kind.scheme}://; allowed: ${ALLOWED_GIT_SCHEMES.join(', ')}, file:// and local paths`,
            hint: kind.scheme === 'http' ? 'use https://' : 'use an https://, git:// or ssh:// URL, or a local path',
          });
        }
      }
      const refProblem = gitRefProblem(s.ref);
      if (refProblem) out.push({ code: 'SOURCE_SPEC', file: cfg.file, at: `${at}/ref`, message: refProblem, hint: 'e.g. ref: v6.1, ref: master or a 40-character commit sha' });
    }
  }
  return out;
}

/** "linux-source-6.12 6.12.117-1, linux-source-7.2 7.2.13-1": each package with its candidate. */
function describeSuite(packages: DebianSuiteFacts['packages']): string {
  return packages.length === 0 ? 'no linux-source-X.Y package' : packages.map((p) => `${p.name} ${p.candidate ?? p.versions[0] ?? '?'}`).join(', ');
}

type SourceFacts = Pick<PlanFacts, 'debianPackage' | 'debianOffered' | 'debianSuites' | 'debianSuiteOffer'>;

/** A Debian package of a suite: a suite we know, a package it has, a version it offers (or the cache holds). */
async function checkSuiteSource(cfg: MatrixConfig, at: string, s: { package: string; version?: string; suite: string }, facts: SourceFacts, offers: Map<string, Promise<DebianSuiteFacts>>): Promise<PlanProblem | null> {
  const known = facts.debianSuites();
  if (!known.includes(s.suite)) {
    return {
      code: 'SOURCE_UNKNOWN_SUITE', file: cfg.file, at: `${at}/suite`,
      message: `unknown Debian suite "${s.suite}". Available: ${known.join(', ')}`,
      hint: 'use one of those, or add the suite to configs/debian-archive.yaml',
    };
  }
  if (!offers.has(s.suite)) offers.set(s.suite, facts.debianSuiteOffer(s.suite));
  const offer = await (offers.get(s.suite) as Promise<DebianSuiteFacts>);
  if (s.version !== undefined && offer.cached.includes(`${s.package}=${s.version}`)) return null;
  // No lists and no archive: nothing the config can fix; the source stage fails with the reason.
  if (offer.unavailable !== undefined && offer.packages.length === 0) return null;
  const pkg = offer.packages.find((p) => p.name === s.package);
  if (!pkg) {
    return {
      code: 'SOURCE_UNKNOWN_PACKAGE', file: cfg.file, at: `${at}/package`,
      message: `${s.suite} has no ${s.package}. Available in ${s.suite}: ${describeSuite(offer.packages)}`,
      hint: 'use one of those, or a suite that has this package (`kvmatrix doctor` lists what every suite offers)',
    };
  }
  if (s.version !== undefined && !pkg.versions.includes(s.version)) {
    return {
      code: 'SOURCE_VERSION', file: cfg.file, at: `${at}/version`,
      message: `${s.suite} does not offer ${s.package} ${s.version}. Available in ${s.suite}: ${s.package} ${pkg.versions.join(', ') || 'none'}`,
      hint: 'use one of those versions, or drop version: to take the suite\'s current one',
    };
  }
  return null;
}

/** Answers from apt and the suites, asked once per run of the check however many kernels share them. */
interface SourceLookups {
  apt: Map<string, Promise<DebianPackageInfo | null>>;
  suiteOffers: Map<string, Promise<DebianSuiteFacts>>;
  /** Every linux-source package apt knows; only asked when a package is missing, for the message. */
  offered?: Promise<string[]>;
}

/** The sources this run will fetch exist here and now: Debian packages apt (or the suite) knows, local trees and repositories. */
export async function checkSourcesResolvable(cfg: MatrixConfig, facts: SourceFacts, scope: PlanScope = {}): Promise<PlanProblem[]> {
  const out: PlanProblem[] = [];
  const wanted = scope.kernels ? new Set(scope.kernels) : null;
  const lookups: SourceLookups = { apt: new Map(), suiteOffers: new Map() };
  for (const [i, k] of cfg.kernels.entries()) {
    if (wanted && !wanted.has(k.id)) continue;
    const at = `/kernels/${i}/source`;
    const s = k.source;
    let problem: PlanProblem | null = null;
    if (s.provider === 'debian' && s.suite !== undefined) problem = await checkSuiteSource(cfg, at, { ...s, suite: s.suite }, facts, lookups.suiteOffers);
    else if (s.provider === 'debian') problem = await checkHostDebianSource(cfg, at, s, facts, lookups);
    else if (s.provider === 'local') problem = checkLocalTree(cfg, at, s);
    else if (s.provider === 'git' && !gitUrlProblem(s.url)) problem = checkLocalGitRepo(cfg, at, s);
    if (problem) out.push(problem);
  }
  return out;
}

/** A Debian package from the host's apt: a package apt knows, in a version installed or offered. */
async function checkHostDebianSource(cfg: MatrixConfig, at: string, s: { package: string; version?: string }, facts: SourceFacts, lookups: SourceLookups): Promise<PlanProblem | null> {
  if (!lookups.apt.has(s.package)) lookups.apt.set(s.package, facts.debianPackage(s.package));
  const info = await lookups.apt.get(s.package);
  if (!info) {
    lookups.offered ??= facts.debianOffered();
    const names = await lookups.offered;
    // apt knowing no kernel source at all means its lists were never fetched (a fresh
    // machine): provisioning runs apt-get update, so that is not the config's fault.
    if (names.length === 0) return null;
    return {
      code: 'SOURCE_UNKNOWN_PACKAGE', file: cfg.file, at: `${at}/package`,
      message: `apt does not know ${s.package}. Available: ${names.join(', ')}`,
      hint: 'use one of those; if the list looks stale run `apt-get update`, or name a suite: that has it (e.g. suite: trixie; see configs/debian-archive.yaml)',
    };
  }
  if (s.version) {
    const versions = [...new Set([info.installed, ...info.versions].filter((v): v is string => !!v))];
    if (!versions.includes(s.version)) {
      return {
        code: 'SOURCE_VERSION', file: cfg.file, at: `${at}/version`,
        message: `${s.package} ${s.version} is neither installed nor offered by apt. Available: ${versions.join(', ') || 'none'}`,
        hint: 'use one of those versions, or drop version: to take whatever is installed',
      };
    }
  }
  return null;
}

/** A local source: a directory whose top-level Makefile names a kernel version. */
function checkLocalTree(cfg: MatrixConfig, at: string, s: { path: string }): PlanProblem | null {
  const st = statOrNull(s.path);
  let version: string | null = null;
  try {
    version = st?.isDirectory() ? kernelVersionFromMakefile(readFileSync(join(s.path, 'Makefile'), 'utf8')) : null;
  } catch {
    version = null;
  }
  if (version) return null;
  return {
    code: 'SOURCE_NOT_A_TREE', file: cfg.file, at: `${at}/path`,
    message: `${s.path} ${!st ? 'does not exist' : !st.isDirectory() ? 'is not a directory' : 'is not a kernel source tree (no top-level Makefile with VERSION/PATCHLEVEL)'}`,
    hint: `point path: at a kernel tree (relative paths resolve from ${cfg.baseDir})`,
  };
}

/** A git source with a well-formed URL: when the URL is a local path, a repository must be there (bare or not). */
function checkLocalGitRepo(cfg: MatrixConfig, at: string, s: { url: string }): PlanProblem | null {
  const kind = classifyGitUrl(s.url, cfg.baseDir);
  if (kind.kind !== 'local') return null;
  const st = statOrNull(kind.path);
  const isRepo = !!st?.isDirectory() && (statOrNull(join(kind.path, 'HEAD'))?.isFile() || statOrNull(join(kind.path, '.git')) !== null);
  if (isRepo) return null;
  return {
    code: 'SOURCE_NOT_A_REPO', file: cfg.file, at: `${at}/url`,
    message: `${kind.path} ${!st ? 'does not exist' : 'is not a git repository'}`,
    hint: `point url: at a git repository (relative paths resolve from ${cfg.baseDir})`,
  };
}

// ------------------------------------------------------------- all of it

const SECTION_ORDER = ['kernels', 'variants', 'arches', 'suites', 'expectations'];

/** Every problem with the plan, in the order of the config's sections. */
export async function checkPlan(cfg: MatrixConfig, facts: PlanFacts, scope: PlanScope = {}): Promise<PlanProblem[]> {
  const rank = (p: PlanProblem) => {
    const i = SECTION_ORDER.indexOf(p.at.split('/')[1] ?? '');
    return i < 0 ? SECTION_ORDER.length : i;
  };
  // Array.prototype.sort is stable: within a section, the order the checks found them.
  return (await allProblems(cfg, facts, scope)).sort((a, b) => rank(a) - rank(b));
}

async function allProblems(cfg: MatrixConfig, facts: PlanFacts, scope: PlanScope): Promise<PlanProblem[]> {
  return [
    ...checkArches(cfg, facts.arches),
    ...checkVariants(cfg),
    ...checkPatches(cfg),
    ...checkSuites(cfg),
    ...checkExpectations(cfg),
    ...checkCellDirs(cfg, facts.cellDirName),
    ...(await checkSourceSpecs(cfg)),
    ...(await checkSourcesResolvable(cfg, facts, scope)),
  ];
}

/** One UserError for all problems (the problem's own code when there is one). */
export function planError(problems: readonly PlanProblem[]): UserError | null {
  if (problems.length === 0) return null;
  if (problems.length === 1) {
    const p = problems[0] as PlanProblem;
    return new UserError(p.code, `${p.file}: ${p.at}: ${p.message}`, { hint: `${p.hint}; nothing was started` });
  }
  const lines = problems.map((p) => `${p.file}: ${p.at}: ${p.message}\n    fix: ${p.hint}`);
  return new UserError('PLAN_INVALID', `${plural(problems.length, 'problem')} found before anything ran:\n  ${lines.join('\n  ')}`, {
    hint: 'fix them and rerun; nothing was started',
  });
}

/** Throw the plan's problems, if any. */
export async function assertPlan(cfg: MatrixConfig, facts: PlanFacts, scope: PlanScope = {}): Promise<void> {
  const err = planError(await checkPlan(cfg, facts, scope));
  if (err) throw err;
}
