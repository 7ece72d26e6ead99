// The matrix definition (YAML), validated by a schema whose errors name the
// file, the path in it and what was expected. The schema is the type
// (Static) and holds every default; ajv fills them in.
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { loadYaml, StringEnum, TaggedUnion, validateData } from '../util/yaml-schema.ts';
import { sha256 } from '../util/hash.ts';
import { VERSION_RANGE_PATTERN } from '../util/version-range.ts';
import { UserError } from '../errors.ts';
import { SourceSpecSchema } from '../source/types.ts';
import { canonicalArchName } from '../arch/profile.ts';
import { resolveGitUrl } from '../source/git-url.ts';

// Anything but '/', which separates kernel/arch/variant in cell ids.
const idPattern = '^[^/\\s][^/]*$';

const KernelEntrySchema = Type.Object({
  id: Type.String({ pattern: idPattern }),
  source: SourceSpecSchema,
  /**
   * The arches this kernel runs on (default: all of `arches`), e.g. only where
   * a column adds information. Each must be one of `arches`.
   */
  arches: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
}, { additionalProperties: false });

const VariantEntrySchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  /** Patch files or series directories, relative to the config file. */
  patches: Type.Array(Type.String(), { default: [] }),
  /** Kernel ids this variant applies to (default: all). */
  kernels: Type.Optional(Type.Array(Type.String())),
  description: Type.Optional(Type.String()),
  /**
   * A message that does not apply as it is gets its archive whitespace
   * mangling undone (patch/repair.ts) and is applied repaired, its repaired
   * diff kept as evidence. Off by default: a config's patches apply as written.
   */
  repair: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const suiteName = Type.String({ pattern: '^[A-Za-z0-9._-]+$' });
const suiteArgs = Type.Array(Type.String(), { default: [] });
/** No default here: a suite without its own runs for `timeouts.suiteMs`. */
const suiteTimeoutMs = Type.Optional(Type.Integer({ minimum: 1000 }));

export const SuiteSchema = TaggedUnion('kind', [
  Type.Object({ name: suiteName, kind: Type.Literal('c-source'), source: Type.String(), args: suiteArgs, timeoutMs: suiteTimeoutMs }, { additionalProperties: false }),
  Type.Object({ name: suiteName, kind: Type.Literal('binary'), path: Type.String(), args: suiteArgs, timeoutMs: suiteTimeoutMs }, { additionalProperties: false }),
  /** The kernel's own selftests, built from the tree under test (catalog: configs/kselftests/*.yaml). */
  Type.Object({ name: suiteName, kind: Type.Literal('kselftest'), catalog: Type.String(), only: Type.Optional(Type.Array(Type.String())), args: suiteArgs, timeoutMs: suiteTimeoutMs }, { additionalProperties: false }),
]);

/** What a case may be expected to give. */
export const CASE_EXPECTS = ['pass', 'fail', 'skip', 'crashed'] as const;
/** What a whole cell may be expected to end as (e.g. the as-posted email: patch-failed). */
export const STATE_EXPECTS = ['ok', 'patch-failed', 'already-present', 'build-failed', 'boot-failed', 'timeout'] as const;
export type CaseExpect = (typeof CASE_EXPECTS)[number];
export type StateExpect = (typeof STATE_EXPECTS)[number];

export function isStateExpect(e: string): e is StateExpect {
  return (STATE_EXPECTS as readonly string[]).includes(e);
}

const ExpectationSchema = Type.Object({
  /** Case ids ("suite/case"); `*` matches within a name. Required for case outcomes, absent for cell states. */
  cases: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  /** Semver-ish range on the kernel version, e.g. ">=5.19 <6.3". */
  versions: Type.Optional(Type.String({ pattern: VERSION_RANGE_PATTERN })),
  kernels: Type.Optional(Type.Array(Type.String())),
  arches: Type.Optional(Type.Array(Type.String())),
  variants: Type.Optional(Type.Array(Type.String())),
  expect: StringEnum([...CASE_EXPECTS, ...STATE_EXPECTS]),
  note: Type.Optional(Type.String()),
}, {
  additionalProperties: false,
  // Case outcomes need the cases they talk about; cell states are about whole cells.
  if: { properties: { expect: { enum: [...CASE_EXPECTS] } } },
  then: { required: ['cases'] },
  else: { not: { required: ['cases'] } },
});

const MatrixSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  kernels: Type.Array(KernelEntrySchema, { minItems: 1 }),
  variants: Type.Array(VariantEntrySchema, { default: [{ name: 'base', patches: [] }] }),
  arches: Type.Array(Type.String(), { minItems: 1 }),
  suites: Type.Array(SuiteSchema, { minItems: 1 }),
  accel: StringEnum(['auto', 'kvm', 'tcg'], { default: 'auto' }),
  timeouts: Type.Object({
    bootMs: Type.Optional(Type.Integer({ minimum: 1000 })),
    /** The run time of a suite that does not set its own `timeoutMs`. */
    suiteMs: Type.Integer({ minimum: 1000, default: 300_000 }),
  }, { additionalProperties: false, default: {} }),
  repeat: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
  expectations: Type.Array(ExpectationSchema, { default: [] }),
}, { additionalProperties: false });

export type KernelEntry = Static<typeof KernelEntrySchema>;
export type VariantEntry = Static<typeof VariantEntrySchema>;
/** A suite as loaded: its `timeoutMs` is its own or `timeouts.suiteMs`. */
export type SuiteEntry = Static<typeof SuiteSchema> & { timeoutMs: number };
export type Expectation = Static<typeof ExpectationSchema>;

export type MatrixConfig = Omit<Static<typeof MatrixSchema>, 'suites'> & {
  suites: SuiteEntry[];
  /** Absolute path of the file and the directory relative paths resolve from. */
  file: string;
  baseDir: string;
  sha256: string;
};

export function loadMatrixConfig(file: string): MatrixConfig {
  const abs = resolve(file);
  const baseDir = dirname(abs);
  const data = validateData(abs, loadYaml(abs), MatrixSchema);
  const suites = data.suites.map((s) => ({ ...s, timeoutMs: s.timeoutMs ?? data.timeouts.suiteMs }));
  // Paths on this machine resolve from the config's directory, like patches and suites.
  const kernels = data.kernels.map((k): KernelEntry => {
    const entry = k.arches ? { ...k, arches: k.arches.map((a) => canonicalArchName(a)) } : k;
    if (entry.source.provider === 'local') return { ...entry, source: { ...entry.source, path: resolve(baseDir, entry.source.path) } };
    if (entry.source.provider === 'git') return { ...entry, source: { ...entry.source, url: resolveGitUrl(entry.source.url, baseDir) } };
    return entry;
  });
  // One name per arch: aliases (amd64, x86-64, aarch64...) become the profile's name,
  // so cells, filters and expectations agree. Unknown names stay for the plan check to report.
  const arches = data.arches.map((a) => canonicalArchName(a));
  const expectations = data.expectations.map((e) => (e.arches ? { ...e, arches: e.arches.map((a) => canonicalArchName(a)) } : e));
  const cfg: MatrixConfig = { ...data, kernels, arches, expectations, suites, file: abs, baseDir, sha256: sha256(readFileSync(abs)) };
  crossCheck(cfg);
  return cfg;
}

/** What a schema cannot say: references between sections. */
function crossCheck(cfg: MatrixConfig): void {
  const problems: string[] = [];
  const kernelIds = cfg.kernels.map((k) => k.id);
  const dup = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  for (const d of dup(kernelIds)) problems.push(`/kernels: duplicate id "${d}"`);
  for (const d of dup(cfg.variants.map((v) => v.name))) problems.push(`/variants: duplicate name "${d}"`);
  for (const d of dup(cfg.suites.map((s) => s.name))) problems.push(`/suites: duplicate name "${d}"`);
  cfg.kernels.forEach((k, i) => (k.arches ?? []).forEach((a, j) => {
    if (!cfg.arches.includes(a)) problems.push(`/kernels/${i}/arches/${j}: arch "${a}" is not in /arches. Available: ${cfg.arches.join(', ')}`);
    else if (k.arches?.indexOf(a) !== j) problems.push(`/kernels/${i}/arches/${j}: arch "${a}" is listed twice`);
  }));
  cfg.variants.forEach((v, i) => (v.kernels ?? []).forEach((k, j) => {
    if (!kernelIds.includes(k)) problems.push(`/variants/${i}/kernels/${j}: unknown kernel "${k}". Available: ${kernelIds.join(', ')}`);
  }));
  if (!cfg.variants.some((v) => v.name === 'base')) problems.push('/variants: a variant named "base" (no patches) is required: verdicts compare against it');
  if (problems.length > 0) {
    throw new UserError('CONFIG_INVALID', `${cfg.file} is not valid:\n  ${problems.map((p) => `${cfg.file}: ${p}`).join('\n  ')}`, { stage: 'cli', hint: 'correct each field named above (a JSON path into the file); nothing was started' });
  }
}

export interface CellPlan {
  id: string;
  kernel: KernelEntry;
  arch: string;
  variant: VariantEntry;
  repeat: number;
}

export function cellId(kernel: string, arch: string, variant: string, repeat = 1): string {
  return `${kernel}/${arch}/${variant}${repeat > 1 ? `#${repeat}` : ''}`;
}

/** The arches `kernel` runs on: its own `arches` restriction, in the order of the config's `arches`. */
export function kernelArches(cfg: Pick<MatrixConfig, 'arches'>, kernel: Pick<KernelEntry, 'arches'>): string[] {
  return cfg.arches.filter((a) => !kernel.arches || kernel.arches.includes(a));
}

/** Every cell the config describes, in a stable order (base before patched, so patched builds are incremental). */
export function planCells(cfg: MatrixConfig): CellPlan[] {
  const out: CellPlan[] = [];
  for (const kernel of cfg.kernels) {
    for (const arch of kernelArches(cfg, kernel)) {
      for (const variant of cfg.variants) {
        if (variant.kernels && !variant.kernels.includes(kernel.id)) continue;
        for (let r = 1; r <= cfg.repeat; r++) out.push({ id: cellId(kernel.id, arch, variant.name, r), kernel, arch, variant, repeat: r });
      }
    }
  }
  return out;
}

export interface CellFilter {
  kernels?: string[];
  arches?: string[];
  variants?: string[];
}

/** Narrow by --kernel/--arch/--variant; unknown names list the valid ones. */
export function filterCells(cfg: MatrixConfig, cells: CellPlan[], f: CellFilter): CellPlan[] {
  const check = (what: string, asked: string[] | undefined, valid: string[]) => {
    for (const a of asked ?? []) {
      if (!valid.includes(a)) throw new UserError(`UNKNOWN_${what.toUpperCase()}`, `Unknown ${what} "${a}" in ${cfg.file}. Available: ${valid.join(', ')}`, { hint: `pass one of those with --${what}` });
    }
  };
  check('kernel', f.kernels, cfg.kernels.map((k) => k.id));
  check('arch', f.arches?.map((a) => canonicalArchName(a)), cfg.arches);
  check('variant', f.variants, cfg.variants.map((v) => v.name));
  return cells.filter((c) =>
    (!f.kernels?.length || f.kernels.includes(c.kernel.id)) &&
    (!f.arches?.length || f.arches.some((a) => canonicalArchName(a) === c.arch)) &&
    (!f.variants?.length || f.variants.includes(c.variant.name)));
}
