// A kselftest catalog: which of the kernel's own selftest programs to build,
// from which sources (they move between releases: vm/ became mm/ in 6.2,
// userfaultfd.c split into uffd-stress.c + uffd-unit-tests.c in 6.4), with
// which arguments, and where they apply.
import { Type } from '@sinclair/typebox';
import type { ArchProfile } from '../arch/profile.ts';
import { compareVersions, parseVersion } from '../util/version-range.ts';
import { UserError } from '../errors.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { KselftestProgramSchema, type KselftestArchEntry, type KselftestProgram } from './types.ts';

const KselftestCatalogSchema = Type.Object({
  description: Type.Optional(Type.String()),
  programs: Type.Array(KselftestProgramSchema),
}, { additionalProperties: false });

/** Load and validate a catalog; every problem is reported as "file: /json/path: what". */
export function loadKselftestCatalog(file: string): KselftestProgram[] {
  const data = validateData(file, loadYaml(file), KselftestCatalogSchema, 'KSELFTEST_CATALOG_INVALID');
  const seen = new Map<string, number>();
  const problems: string[] = [];
  data.programs.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first !== undefined) problems.push(`${file}: /programs/${i}/name: duplicate name "${p.name}" (first at /programs/${first})`);
    else seen.set(p.name, i);
    if (p.minVersion && p.maxVersion && !versionApplies(p.minVersion, undefined, p.maxVersion)) {
      problems.push(`${file}: /programs/${i}: minVersion ${p.minVersion} is above maxVersion ${p.maxVersion}`);
    }
    (p.arches ?? []).forEach((a, j) => {
      if (typeof a !== 'string' && a.minVersion && a.maxVersion && !versionApplies(a.minVersion, undefined, a.maxVersion)) {
        problems.push(`${file}: /programs/${i}/arches/${j}: minVersion ${a.minVersion} is above maxVersion ${a.maxVersion}`);
      }
    });
  });
  if (problems.length > 0) {
    throw new UserError('KSELFTEST_CATALOG_INVALID', `${file} is not valid:\n  ${problems.join('\n  ')}`, { stage: 'cli' });
  }
  return data.programs;
}

/**
 * Inclusive on both ends, on as many parts as each bound gives:
 * 6.3.7 is within maxVersion "6.3" but not within maxVersion "6.3.5".
 */
export function versionApplies(kernelVersion: string, minVersion?: string, maxVersion?: string): boolean {
  const v = parseVersion(kernelVersion);
  if (minVersion !== undefined && compareVersions(kernelVersion, minVersion) < 0) return false;
  if (maxVersion !== undefined) {
    const max = parseVersion(maxVersion);
    const given = maxVersion.trim().split('.').length;
    for (let i = 0; i < given; i++) {
      const d = (v[i] ?? 0) - (max[i] ?? 0);
      if (d < 0) return true;
      if (d > 0) return false;
    }
  }
  return true;
}

/** ">= 6.10, <= 6.3.y" for messages. */
function describeRange(minVersion?: string, maxVersion?: string): string {
  return [minVersion && `>= ${minVersion}`, maxVersion && `<= ${maxVersion}${maxVersion.split('.').length < 3 ? '.y' : ''}`].filter(Boolean).join(', ');
}

const archEntryName = (a: KselftestArchEntry) => (typeof a === 'string' ? a : a.name);

/** Why `program` does not apply to this kernel version and arch, or null when it does. */
export function notApplicable(program: KselftestProgram, kernelVersion: string, arch: Pick<ArchProfile, 'name' | 'aliases'>): string | null {
  const entry = program.arches?.find((a) => archEntryName(a) === arch.name || arch.aliases.includes(archEntryName(a)));
  if (program.arches && !entry) {
    return `not for ${arch.name} (catalog arches: ${program.arches.map(archEntryName).join(', ')})`;
  }
  if (!versionApplies(kernelVersion, program.minVersion, program.maxVersion)) {
    return `not for kernel ${kernelVersion} (catalog range: ${describeRange(program.minVersion, program.maxVersion)})`;
  }
  if (entry !== undefined && typeof entry !== 'string' && !versionApplies(kernelVersion, entry.minVersion, entry.maxVersion)) {
    return `not for kernel ${kernelVersion} on ${arch.name} (catalog range for ${arch.name}: ${describeRange(entry.minVersion, entry.maxVersion)})`;
  }
  return null;
}
