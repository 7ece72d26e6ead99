// Which suites a patch gets, from the files it touches: configs/suite-map.yaml
// maps path globs to suites; a file no rule knows gets the default suites (a
// boot plus the mm selftests); `--suite` replaces the choice. The schema is
// the type; the choice itself is a pure function.
import { dirname, join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { configsDir } from '../util/paths.ts';
import { UserError } from '../errors.ts';
import { SuiteSchema } from '../plan/config.ts';

const RuleSchema = Type.Object({
  why: Type.String(),
  paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  suites: Type.Array(Type.String(), { minItems: 1 }),
}, { additionalProperties: false });

const SuiteMapSchema = Type.Object({
  suites: Type.Array(SuiteSchema, { minItems: 1 }),
  rules: Type.Array(RuleSchema, { default: [] }),
  default: Type.Object({ why: Type.String(), suites: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
}, { additionalProperties: false });

/** A suite of the map, its paths made absolute (the generated config lives elsewhere). */
export type MappedSuite = Static<typeof SuiteSchema>;

export type SuiteMap = Omit<Static<typeof SuiteMapSchema>, 'suites'> & { suites: MappedSuite[]; file: string };

export const DEFAULT_SUITE_MAP = join(configsDir, 'suite-map.yaml');

function absolute(s: MappedSuite, dir: string): MappedSuite {
  switch (s.kind) {
    case 'c-source': return { ...s, source: resolve(dir, s.source) };
    case 'binary': return { ...s, path: resolve(dir, s.path) };
    case 'kselftest': return { ...s, catalog: resolve(dir, s.catalog) };
  }
}

export function loadSuiteMap(file = DEFAULT_SUITE_MAP): SuiteMap {
  const data = validateData(file, loadYaml(file), SuiteMapSchema);
  const names = data.suites.map((s) => s.name);
  const unknown = [...data.rules.flatMap((r) => r.suites), ...data.default.suites].filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new UserError('CONFIG_INVALID', `${file}: rules name suites it does not define: ${[...new Set(unknown)].join(', ')}. Defined: ${names.join(', ')}`, { hint: 'define each suite under suites:' });
  }
  return { ...data, suites: data.suites.map((s) => absolute(s, dirname(file))), file };
}

/** `*` within a segment, `**` across segments, `?` one character; the whole path must match. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface SuiteChoice {
  suites: MappedSuite[];
  /** Why each suite is there, one line per reason: "mm/userfaultfd.c: memory management, ...". */
  reasons: string[];
}

/** The suites for a patch touching `paths`, or exactly `override` when given (unknown names list the known ones). */
export function chooseSuites(map: SuiteMap, paths: readonly string[], override: readonly string[] = []): SuiteChoice {
  const byName = new Map(map.suites.map((s) => [s.name, s]));
  if (override.length > 0) {
    const unknown = override.filter((n) => !byName.has(n));
    if (unknown.length > 0) {
      throw new UserError('UNKNOWN_SUITE', `Unknown suite ${unknown.map((u) => `"${u}"`).join(', ')}. Available: ${[...byName.keys()].join(', ')}`, { hint: `suites are defined in ${map.file}` });
    }
    return { suites: [...new Set(override)].map((n) => byName.get(n) as MappedSuite), reasons: ['chosen with --suite'] };
  }
  const chosen = new Set<string>();
  const reasons: string[] = [];
  for (const path of paths) {
    const rules = map.rules.filter((r) => r.paths.some((g) => globToRegExp(g).test(path)));
    const names = rules.length > 0 ? rules.flatMap((r) => r.suites) : map.default.suites;
    names.forEach((n) => chosen.add(n));
    reasons.push(`${path}: ${rules.length > 0 ? rules.map((r) => r.why).join('; ') : map.default.why} -> ${[...new Set(names)].join(', ')}`);
  }
  if (paths.length === 0) {
    map.default.suites.forEach((n) => chosen.add(n));
    reasons.push(`no file: ${map.default.why}`);
  }
  // The map's order, not the order files were met in: the same patch always gets the same config.
  return { suites: map.suites.filter((s) => chosen.has(s.name)), reasons };
}
