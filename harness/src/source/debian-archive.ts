// Debian's archive as data (configs/debian-archive.yaml): mirrors, keyring and
// the suites a `provider: debian` source may name, and what each suite offers,
// read through apt with private state (harness/src/apt/private-apt.ts).
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { configsDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { UserError, type StageName } from '../errors.ts';
import { LINUX_SOURCE_REGEX } from './types.ts';
import { sourcesListLine, withPrivateApt, type ListsOutcome, type PrivateAptConfig } from '../apt/private-apt.ts';

const DebianMirrorSchema = Type.Object({
  url: Type.String({ pattern: '^(https?|file):' }),
  /** Environment variable that overrides `url`. */
  env: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
}, { additionalProperties: false });

const DebianSuiteSchema = Type.Object({
  // Becomes part of directory names: no separators.
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$' }),
  /** Key into `mirrors`. */
  mirror: Type.String(),
  components: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9/-]*$' }), { minItems: 1 }),
}, { additionalProperties: false });

const DebianArchiveSchema = Type.Object({
  mirrors: Type.Record(Type.String(), DebianMirrorSchema, { minProperties: 1 }),
  keyring: Type.String({ pattern: '^/' }),
  architecture: Type.String({ pattern: '^[a-z0-9]+$' }),
  suites: Type.Array(DebianSuiteSchema, { minItems: 1 }),
}, { additionalProperties: false });

export type DebianMirror = Static<typeof DebianMirrorSchema>;
export type DebianSuite = Static<typeof DebianSuiteSchema>;
/** The file it was loaded from, for messages. */
export type DebianArchive = Static<typeof DebianArchiveSchema> & { file: string };

export const DEBIAN_ARCHIVE_FILE = join(configsDir, 'debian-archive.yaml');

/** A mirror URL must be something apt fetches from: http(s):// or file:. */
function mirrorUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (!['http:', 'https:', 'file:'].includes(u.protocol)) return `uses ${u.protocol.replace(/:$/, '')}; apt is given http://, https:// or file: mirrors only`;
  if (/[\s\][#]/.test(url)) return 'contains a space, bracket or #';
  return null;
}

/** Load configs/debian-archive.yaml (or `file`), with each mirror's environment override applied. */
export function loadDebianArchive(file = DEBIAN_ARCHIVE_FILE, env: NodeJS.ProcessEnv = process.env): DebianArchive {
  const data = validateData(file, loadYaml(file), DebianArchiveSchema);
  const problems: string[] = [];
  const mirrors: Record<string, DebianMirror> = {};
  for (const [name, m] of Object.entries(data.mirrors)) {
    const override = m.env ? env[m.env]?.trim() : undefined;
    const url = (override || m.url).replace(/\/+$/, '');
    const problem = mirrorUrlProblem(url);
    if (problem) problems.push(override ? `${m.env}=${override} ${problem}` : `${file}: /mirrors/${name}/url ${problem}`);
    mirrors[name] = { ...m, url };
  }
  data.suites.forEach((s, i) => {
    if (!mirrors[s.mirror]) problems.push(`${file}: /suites/${i}/mirror: unknown mirror "${s.mirror}". Available: ${Object.keys(mirrors).join(', ')}`);
    if (data.suites.findIndex((o) => o.name === s.name) !== i) problems.push(`${file}: /suites/${i}/name: suite "${s.name}" is listed twice`);
  });
  if (problems.length > 0) {
    throw new UserError('DEBIAN_ARCHIVE_INVALID', `the Debian archive configuration is not valid:\n  ${problems.join('\n  ')}`, {
      hint: `fix ${file} or the environment variable named`,
    });
  }
  return { ...data, mirrors, file };
}

export function suiteNames(archive: DebianArchive): string[] {
  return archive.suites.map((s) => s.name);
}

/** The suite, or a UserError listing the known ones. */
export function getSuite(archive: DebianArchive, name: string, stage?: StageName): DebianSuite {
  const suite = archive.suites.find((s) => s.name === name);
  if (!suite) {
    throw new UserError('SOURCE_UNKNOWN_SUITE', `unknown Debian suite "${name}". Available: ${suiteNames(archive).join(', ')}`, {
      stage, hint: `use one of those, or add the suite to ${archive.file}`,
    });
  }
  return suite;
}

function mirrorOf(archive: DebianArchive, suite: DebianSuite): DebianMirror {
  return archive.mirrors[suite.mirror] as DebianMirror;
}

/** The one-line sources.list of a suite. Pure. */
export function suiteSourcesList(archive: DebianArchive, suite: DebianSuite): string {
  return sourcesListLine({ uri: mirrorOf(archive, suite).url, suite: suite.name, components: suite.components, keyring: archive.keyring });
}

/** Private apt for one suite: state under `$CACHE/apt/suite-<name>/`, sources naming only that suite. Pure. */
export function suiteAptConfig(cacheDir: string, archive: DebianArchive, suite: DebianSuite, stage: StageName): PrivateAptConfig {
  const mirror = mirrorOf(archive, suite);
  const override = mirror.env ? ` (${mirror.env} overrides)` : '';
  return {
    stateDir: join(cacheDir, 'apt', `suite-${suite.name}`),
    arch: archive.architecture,
    sources: suiteSourcesList(archive, suite),
    origin: `${mirror.url} ${suite.name}`,
    stage,
    hints: {
      unreachable: `check the network and ${mirror.url}${override}; set it to a reachable Debian mirror if this one is not`,
      signature: `${archive.keyring} cannot verify ${suite.name}: update debian-archive-keyring, or set keyring: in ${archive.file} to one that has the suite's key`,
      missing: `${mirror.url} does not carry ${suite.name}: use a mirror that does${override}, or remove the suite from ${archive.file}`,
    },
  };
}

/** One `linux-source-X.Y` package of a suite. */
export interface OfferedSource {
  name: string;
  candidate: string | null;
  /** Every version the suite's lists carry, newest first. */
  versions: string[];
}

export interface SuiteOffer {
  suite: string;
  packages: OfferedSource[];
  lists: ListsOutcome;
}

/**
 * What a suite offers: its `linux-source-X.Y` packages and their versions,
 * from the suite's private lists (fetched when older than a day; this is
 * network access). Throws InfraError when there are no lists and they cannot
 * be fetched.
 */
export async function suiteOffer(cacheDir: string, archive: DebianArchive, suite: DebianSuite, stage: StageName, logPath?: string): Promise<SuiteOffer> {
  return withPrivateApt(suiteAptConfig(cacheDir, archive, suite, stage), async (apt) => {
    const lists = await apt.ensureLists({ logPath });
    const names = await apt.searchNames(LINUX_SOURCE_REGEX);
    const policies = await apt.policy(names);
    const packages = names.map((name) => {
      const p = policies.get(name);
      return { name, candidate: p?.candidate ?? null, versions: p?.versions ?? [] };
    });
    return { suite: suite.name, packages, lists };
  });
}

/** "linux-source-6.12 6.12.117-1, linux-source-7.2 7.2.13-1" (candidates), for messages. */
export function describeOffer(packages: readonly OfferedSource[]): string {
  return packages.length === 0 ? 'no linux-source-X.Y package' : packages.map((p) => `${p.name} ${p.candidate ?? p.versions[0] ?? '?'}`).join(', ');
}
