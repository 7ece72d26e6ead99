// The matrix definition (YAML), validated by a schema whose errors name the
// file, the path in it and what was expected. Defaults live next to the types.
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { sha256 } from '../util/hash.ts';
import { UserError } from '../errors.ts';
import type { SourceSpec } from '../source/types.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { canonicalArchName } from '../arch/profile.ts';
import { resolveGitUrl } from '../source/git-url.ts';

export interface KernelEntry {
  id: string;
  source: SourceSpec;
}

export interface VariantEntry {
  name: string;
  /** Patch files or series directories, relative to the config file. */
  patches: string[];
  /** Kernel ids this variant applies to (default: all). */
  kernels?: string[];
  description?: string;
}

export type SuiteEntry =
  | { name: string; kind: 'c-source'; source: string; args: string[]; timeoutMs: number }
  | { name: string; kind: 'binary'; path: string; args: string[]; timeoutMs: number }
  /** The kernel's own selftests, built from the tree under test (catalog: configs/kselftests/*.yaml). */
  | { name: string; kind: 'kselftest'; catalog: string; only?: string[]; args: string[]; timeoutMs: number };

/** What a case may be expected to give. */
export const CASE_EXPECTS = ['pass', 'fail', 'skip', 'crashed'] as const;
/** What a whole cell may be expected to end as (e.g. the as-posted email: patch-failed). */
export const STATE_EXPECTS = ['ok', 'patch-failed', 'build-failed', 'boot-failed', 'timeout'] as const;
export type CaseExpect = (typeof CASE_EXPECTS)[number];
export type StateExpect = (typeof STATE_EXPECTS)[number];

export function isStateExpect(e: string): e is StateExpect {
  return (STATE_EXPECTS as readonly string[]).includes(e);
}

export interface Expectation {
  /** Case ids ("suite/case"); `*` matches within a name. Required for case outcomes, absent for cell states. */
  cases?: string[];
  /** Semver-ish range on the kernel version, e.g. ">=5.19 <6.3". */
  versions?: string;
  kernels?: string[];
  arches?: string[];
  variants?: string[];
  expect: CaseExpect | StateExpect;
  note?: string;
}

export interface MatrixConfig {
  name: string;
  description?: string;
  kernels: KernelEntry[];
  variants: VariantEntry[];
  arches: string[];
  suites: SuiteEntry[];
  accel: AccelPolicy;
  timeouts: { bootMs?: number; suiteMs: number };
  repeat: number;
  expectations: Expectation[];
  /** Absolute path of the file and the directory relative paths resolve from. */
  file: string;
  baseDir: string;
  sha256: string;
}

// Anything but '/', which separates kernel/arch/variant in cell ids.
const idPattern = '^[^/\\s][^/]*$';

const sourceSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['provider', 'package'], properties: { provider: { const: 'debian' }, package: { type: 'string', pattern: '^linux-source-[0-9]+\\.[0-9]+$' }, version: { type: 'string', pattern: '^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$' }, suite: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$' } } },
    { type: 'object', additionalProperties: false, required: ['provider', 'url'], properties: { provider: { const: 'tarball' }, url: { type: 'string', pattern: '^(https?|file)://' }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
    { type: 'object', additionalProperties: false, required: ['provider', 'url', 'ref'], properties: { provider: { const: 'git' }, url: { type: 'string' }, ref: { type: 'string' } } },
    { type: 'object', additionalProperties: false, required: ['provider', 'path'], properties: { provider: { const: 'local' }, path: { type: 'string' } } },
  ],
};

export const matrixSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kernels', 'arches', 'suites'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    kernels: {
      type: 'array', minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['id', 'source'], properties: { id: { type: 'string', pattern: idPattern }, source: sourceSchema } },
    },
    variants: {
      type: 'array',
      default: [{ name: 'base', patches: [] }],
      items: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
          patches: { type: 'array', items: { type: 'string' }, default: [] },
          kernels: { type: 'array', items: { type: 'string' } },
          description: { type: 'string' },
        },
      },
    },
    arches: { type: 'array', minItems: 1, items: { type: 'string' } },
    suites: {
      type: 'array', minItems: 1,
      items: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['name', 'kind', 'source'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' }, kind: { const: 'c-source' }, source: { type: 'string' }, args: { type: 'array', items: { type: 'string' }, default: [] }, timeoutMs: { type: 'integer', minimum: 1000, default: 300000 } } },
          { type: 'object', additionalProperties: false, required: ['name', 'kind', 'path'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' }, kind: { const: 'binary' }, path: { type: 'string' }, args: { type: 'array', items: { type: 'string' }, default: [] }, timeoutMs: { type: 'integer', minimum: 1000, default: 300000 } } },
          { type: 'object', additionalProperties: false, required: ['name', 'kind', 'catalog'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' }, kind: { const: 'kselftest' }, catalog: { type: 'string' }, only: { type: 'array', items: { type: 'string' } }, args: { type: 'array', items: { type: 'string' }, default: [] }, timeoutMs: { type: 'integer', minimum: 1000, default: 300000 } } },
        ],
      },
    },
    accel: { enum: ['auto', 'kvm', 'tcg'], default: 'auto' },
    timeouts: {
      type: 'object', additionalProperties: false, default: {},
      properties: { bootMs: { type: 'integer', minimum: 1000 }, suiteMs: { type: 'integer', minimum: 1000, default: 300000 } },
    },
    repeat: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
    expectations: {
      type: 'array', default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['expect'],
        // Case outcomes need the cases they talk about; cell states are about whole cells.
        if: { properties: { expect: { enum: [...CASE_EXPECTS] } } },
        then: { required: ['cases'] },
        else: { not: { required: ['cases'] } },
        properties: {
          cases: { type: 'array', minItems: 1, items: { type: 'string' } },
          versions: { type: 'string', pattern: '^\\s*([<>]=?|=)?\\s*[0-9]+(\\.[0-9]+){0,2}(\\s+([<>]=?|=)?\\s*[0-9]+(\\.[0-9]+){0,2})*\\s*$' },
          kernels: { type: 'array', items: { type: 'string' } },
          arches: { type: 'array', items: { type: 'string' } },
          variants: { type: 'array', items: { type: 'string' } },
          expect: { enum: [...CASE_EXPECTS, ...STATE_EXPECTS] },
          note: { type: 'string' },
        },
      },
    },
  },
};

export function loadMatrixConfig(file: string): MatrixConfig {
  const abs = resolve(file);
  const baseDir = dirname(abs);
  const data = validateData<Omit<MatrixConfig, 'file' | 'baseDir' | 'sha256'>>(abs, loadYaml(abs), matrixSchema);
  // ajv does not apply defaults inside oneOf branches: fill them here.
  const suites = data.suites.map((s) => ({ ...s, args: s.args ?? [], timeoutMs: s.timeoutMs ?? 300_000 }));
  const variants = (data.variants ?? [{ name: 'base', patches: [] }]).map((v) => ({ ...v, patches: v.patches ?? [] }));
  // Paths on this machine resolve from the config's directory, like patches and suites.
  const kernels = data.kernels.map((k): KernelEntry => {
    if (k.source.provider === 'local') return { ...k, source: { ...k.source, path: resolve(baseDir, k.source.path) } };
    if (k.source.provider === 'git') return { ...k, source: { ...k.source, url: resolveGitUrl(k.source.url, baseDir) } };
    return k;
  });
  // One name per arch: aliases (amd64, x86-64, aarch64...) become the profile's name,
  // so cells, filters and expectations agree. Unknown names stay for the plan check to report.
  const arches = data.arches.map((a) => canonicalArchName(a));
  const expectations = data.expectations.map((e) => (e.arches ? { ...e, arches: e.arches.map((a) => canonicalArchName(a)) } : e));
  const cfg: MatrixConfig = { ...data, kernels, arches, expectations, suites, variants, file: abs, baseDir, sha256: sha256(readFileSync(abs)) };
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

/** Every cell the config describes, in a stable order (base before patched, so patched builds are incremental). */
export function planCells(cfg: MatrixConfig): CellPlan[] {
  const out: CellPlan[] = [];
  for (const kernel of cfg.kernels) {
    for (const arch of cfg.arches) {
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
