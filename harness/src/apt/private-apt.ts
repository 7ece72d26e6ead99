// apt with private state: lists, cache and an empty dpkg status under a
// directory of ours, so we can ask about and download Debian packages of any
// suite and architecture without root, without installing anything and
// without touching the host's apt state. With `sources` the host's sources
// and pinning are ignored too (only that text names what to fetch); without
// it the host's own sources are used (guest packages of the host's release).
//
// apt checks every index against its `signed-by` keyring (or the host's
// trusted keys) during `update`, and every .deb against the index's hash
// during `download`; with our own sources an update that cannot verify or
// fetch fails here (--error-on=any), never silently "old lists used instead".
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import lockfile from 'proper-lockfile';
import { run, type RunResult } from '../exec/run.ts';
import { InfraError, UserError, type StageName } from '../errors.ts';
import { readJson, writeFileAtomically } from '../util/fs.ts';
import { hashValue } from '../util/hash.ts';
import { aptMessages, classifyAptUpdateFailure, parseAptPolicies, parseAptSearchNames, parsePrintUris, type AptPolicy, type DebUri } from './parse.ts';

/** Lists older than this are fetched again before use. */
export const LIST_MAX_AGE_MS = 24 * 3600 * 1000;

export interface PrivateAptConfig {
  /** lists/, cache/, status, sources.list... all live here. */
  stateDir: string;
  /** The Debian architecture whose Packages lists are fetched (e.g. amd64, arm64). */
  arch: string;
  /** sources.list text naming exactly what to fetch; absent: the host's own sources. */
  sources?: string;
  /** Where the lists come from, for messages ("http://deb.debian.org/debian trixie"). */
  origin: string;
  /** What to do when the origin cannot be reached, verified or does not have the suite. */
  hints: { unreachable: string; signature: string; missing: string };
  stage: StageName;
}

export interface SourcesEntry {
  uri: string;
  suite: string;
  components: readonly string[];
  /** The keyring apt verifies this entry's Release file with. */
  keyring: string;
}

/** One-line-style sources.list entry, `signed-by` the given keyring. Pure. */
export function sourcesListLine(e: SourcesEntry): string {
  const bad = [e.uri, e.suite, e.keyring, ...e.components].find((w) => w === '' || /[\s\][#]/.test(w));
  if (bad !== undefined) throw new UserError('APT_SOURCES_INVALID', `"${bad}" cannot appear in a sources.list entry (empty, or contains a space, bracket or #)`);
  return `deb [signed-by=${e.keyring}] ${e.uri} ${e.suite} ${e.components.join(' ')}`;
}

/** The `-o` options that point apt at the private state (and, with `sources`, at nothing of the host's). Pure. */
export function privateAptOptions(cfg: Pick<PrivateAptConfig, 'stateDir' | 'arch' | 'sources'>, asRoot: boolean): string[] {
  const s = cfg.stateDir;
  return [
    `-oAPT::Architecture=${cfg.arch}`,
    `-oAPT::Architectures=${cfg.arch}`,
    `-oDir::State::Lists=${join(s, 'lists')}`,
    `-oDir::Cache=${join(s, 'cache')}`,
    `-oDir::State::status=${join(s, 'status')}`,
    '-oDebug::NoLocking=1',
    // Descriptions in other languages are never read: do not fetch them.
    '-oAcquire::Languages=none',
    ...(cfg.sources === undefined ? [] : [
      `-oDir::Etc::SourceList=${join(s, 'sources.list')}`,
      `-oDir::Etc::SourceParts=${join(s, 'sources.list.d')}`,
      // The host's pinning must not pick versions for a suite it never heard of.
      `-oDir::Etc::Preferences=${join(s, 'preferences')}`,
      `-oDir::Etc::PreferencesParts=${join(s, 'preferences.d')}`,
    ]),
    // As root apt drops to _apt for downloads, which cannot write our dirs; as
    // anyone else it downloads as that user, who owns them.
    ...(asRoot ? ['-oAPT::Sandbox::User=root'] : []),
  ];
}

interface ListsStamp {
  updatedAt: string;
  /** Hash of what the lists were fetched for: a new mirror or arch makes them stale. */
  key: string;
}

export interface ListsOutcome {
  /** apt-get update ran (and succeeded) in this call. */
  refreshed: boolean;
  /** How old the lists in use are (0 when just refreshed). */
  ageMs: number;
  /** Set when the refresh failed and older lists were used instead: why. */
  warning?: string;
  /** Time spent in apt-get update. */
  updateMs: number;
}

const C_LOCALE = { LC_ALL: 'C' };

function listsKey(cfg: PrivateAptConfig): string {
  return hashValue({ v: 1, sources: cfg.sources ?? 'host', arch: cfg.arch });
}

function tail(r: RunResult, n = 10): string {
  const msgs = aptMessages(r.stderr);
  return (msgs.length > 0 ? msgs : r.stderr.trim().split('\n')).slice(-n).join('\n');
}

/** apt with the private state held (locked) for the duration of one `withPrivateApt` callback. */
export class PrivateApt {
  readonly options: string[];

  constructor(readonly cfg: PrivateAptConfig) {
    this.options = privateAptOptions(cfg, process.getuid?.() === 0);
  }

  private async listsPresent(): Promise<boolean> {
    try {
      return (await readdir(join(this.cfg.stateDir, 'lists'))).some((e) => e.includes('Packages'));
    } catch {
      return false;
    }
  }

  /** Age of the lists, or null when there are none (or they were fetched for another mirror or arch). */
  async listsAgeMs(now = Date.now()): Promise<number | null> {
    const stamp = await readJson<ListsStamp>(join(this.cfg.stateDir, 'lists.json'));
    if (!stamp || stamp.key !== listsKey(this.cfg) || !(await this.listsPresent())) return null;
    const at = Date.parse(stamp.updatedAt);
    return Number.isNaN(at) ? null : Math.max(0, now - at);
  }

  /** apt-get update, now. Throws InfraError with a code saying why it failed. */
  async update(logPath?: string): Promise<number> {
    // Our own sources must all be fetched and verified (else apt says "old ones used instead"
    // and exits 0). The host's may include third-party repositories whose hiccups are not ours.
    const strict = this.cfg.sources !== undefined ? ['--error-on=any'] : [];
    const r = await run('apt-get', [...this.options, '-qq', ...strict, 'update'], { env: C_LOCALE, logPath, timeoutMs: 10 * 60_000 });
    if (r.exitCode !== 0) {
      const why = r.timedOut ? 'unreachable' : classifyAptUpdateFailure(r.stderr);
      const { origin, hints, stage } = this.cfg;
      const details = { stage, logPath, logTail: tail(r) };
      if (why === 'signature') {
        throw new InfraError('APT_SIGNATURE_INVALID', `apt could not verify the signature of ${origin}`, { ...details, hint: hints.signature });
      }
      if (why === 'no-release') throw new InfraError('APT_SUITE_MISSING', `${origin} has no Release file`, { ...details, hint: hints.missing });
      if (why === 'unreachable') {
        throw new InfraError('APT_ARCHIVE_UNREACHABLE', `cannot reach ${origin}${r.timedOut ? ' (apt-get update timed out)' : ''}`, { ...details, hint: hints.unreachable });
      }
      throw new InfraError('APT_UPDATE_FAILED', `apt-get update for ${origin} failed (${r.exitCode === null ? (r.signal ?? 'not run') : `exit ${r.exitCode}`})`, { ...details, hint: hints.unreachable });
    }
    await writeFileAtomically(join(this.cfg.stateDir, 'lists.json'), `${JSON.stringify({ updatedAt: new Date().toISOString(), key: listsKey(this.cfg) } satisfies ListsStamp)}\n`);
    return r.durationMs;
  }

  /**
   * Lists no older than `maxAgeMs`: refreshed when stale. A failed refresh
   * with older lists on disk uses those (with a warning); without any, it throws.
   */
  async ensureLists(opts: { logPath?: string; maxAgeMs?: number } = {}): Promise<ListsOutcome> {
    const age = await this.listsAgeMs();
    if (age !== null && age < (opts.maxAgeMs ?? LIST_MAX_AGE_MS)) return { refreshed: false, ageMs: age, updateMs: 0 };
    try {
      return { refreshed: true, ageMs: 0, updateMs: await this.update(opts.logPath) };
    } catch (err) {
      if (age === null || !(err instanceof InfraError)) throw err;
      return { refreshed: false, ageMs: age, updateMs: 0, warning: `${err.message}; using lists from ${Math.round(age / 3600_000)} h ago` };
    }
  }

  private async aptCache(args: string[]): Promise<RunResult> {
    const r = await run('apt-cache', [...this.options, ...args], { env: C_LOCALE, timeoutMs: 2 * 60_000 });
    if (r.exitCode !== 0) {
      throw new InfraError('APT_QUERY_FAILED', `apt-cache ${args.join(' ')} for ${this.cfg.origin} failed (exit ${r.exitCode ?? r.signal})`, { stage: this.cfg.stage, logTail: tail(r) });
    }
    return r;
  }

  /** `apt-cache policy` of each name apt knows (unknown names are absent). */
  async policy(names: readonly string[]): Promise<Map<string, AptPolicy>> {
    if (names.length === 0) return new Map();
    return parseAptPolicies((await this.aptCache(['policy', '--', ...names])).stdout);
  }

  /** Package names matching an apt regex (`apt-cache search --names-only`). */
  async searchNames(regex: string): Promise<string[]> {
    return parseAptSearchNames((await this.aptCache(['search', '--names-only', regex])).stdout);
  }

  /** Where apt would download `name=version` from, with the index's size and SHA256; null when the index has no such version. */
  async printUri(name: string, version: string): Promise<DebUri | null> {
    // apt prints nothing for a .deb already in the current directory: ask from an empty one.
    const empty = join(this.cfg.stateDir, 'uris');
    await rm(empty, { recursive: true, force: true });
    await mkdir(empty, { recursive: true });
    const r = await run('apt-get', [...this.options, '-qq', '--print-uris', 'download', `${name}=${version}`], { cwd: empty, env: C_LOCALE, timeoutMs: 2 * 60_000 });
    if (r.exitCode !== 0) {
      if (/Version '.*' for '.*' was not found|Unable to locate package/.test(r.stderr)) return null;
      throw new InfraError('APT_QUERY_FAILED', `apt-get --print-uris download ${name}=${version} for ${this.cfg.origin} failed (exit ${r.exitCode ?? r.signal})`, { stage: this.cfg.stage, logTail: tail(r) });
    }
    return parsePrintUris(r.stdout)[0] ?? null;
  }

  /**
   * `apt-get download` the packages (`name` or `name=version`) into `destDir`.
   * apt writes straight to the final name and cannot resume, so it works in a
   * fresh staging directory and only complete, hash-checked files are renamed
   * into `destDir`: an interrupted download never leaves a .deb that looks whole.
   */
  async download(packages: readonly string[], destDir: string, logPath?: string, timeoutMs = 30 * 60_000): Promise<string[]> {
    await mkdir(destDir, { recursive: true });
    const staging = join(destDir, `.download-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      const r = await run('apt-get', [...this.options, '-qq', 'download', ...packages], { cwd: staging, env: C_LOCALE, logPath, timeoutMs });
      if (r.exitCode !== 0) {
        throw new InfraError('APT_DOWNLOAD_FAILED', `apt-get download ${packages.join(' ')} from ${this.cfg.origin} failed${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode ?? r.signal})`}`, {
          stage: this.cfg.stage, logPath, logTail: tail(r), hint: this.cfg.hints.unreachable,
        });
      }
      const files = (await readdir(staging)).filter((f) => f.endsWith('.deb'));
      for (const f of files) await rename(join(staging, f), join(destDir, f));
      return files.map((f) => join(destDir, f));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

async function prepare(cfg: PrivateAptConfig): Promise<void> {
  const s = cfg.stateDir;
  await mkdir(join(s, 'lists', 'partial'), { recursive: true });
  await mkdir(join(s, 'cache', 'archives', 'partial'), { recursive: true });
  if (!existsSync(join(s, 'status'))) await writeFile(join(s, 'status'), '');
  if (cfg.sources !== undefined) {
    await mkdir(join(s, 'sources.list.d'), { recursive: true });
    await mkdir(join(s, 'preferences.d'), { recursive: true });
  }
}

/**
 * Run `fn` with the private apt state of `cfg` locked (one apt at a time per
 * state dir; runs and the plan check in other processes wait).
 */
export async function withPrivateApt<T>(cfg: PrivateAptConfig, fn: (apt: PrivateApt) => Promise<T>): Promise<T> {
  await prepare(cfg);
  const release = await lockfile.lock(cfg.stateDir, { retries: { retries: 300, minTimeout: 250, maxTimeout: 2000 }, stale: 60000 });
  try {
    if (cfg.sources !== undefined) {
      const file = join(cfg.stateDir, 'sources.list');
      const text = `# Written by kvmatrix; regenerated on every use.\n${cfg.sources}\n`;
      if ((await readFileOrNull(file)) !== text) await writeFileAtomically(file, text);
    }
    return await fn(new PrivateApt(cfg));
  } finally {
    await release();
  }
}

async function readFileOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}
