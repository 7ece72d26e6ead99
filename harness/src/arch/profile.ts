// One registry of arches, loaded from configs/arch/*.yaml (virtme-ng keeps all
// names of an arch together; we keep them in data so a third arch is a file).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { configsDir } from '../util/paths.ts';
import { loadYaml, StringEnum, validateData } from '../util/yaml-schema.ts';
import { UserError } from '../errors.ts';
import { VERSION_RANGE_PATTERN } from '../util/version-range.ts';

const ACCELS = ['kvm', 'tcg'] as const;
export type Accel = (typeof ACCELS)[number];

const QemuAccelProfileSchema = Type.Object({
  machine: Type.String(),
  cpu: Type.String(),
  accel: StringEnum(ACCELS),
}, { additionalProperties: false });

export type QemuAccelProfile = Static<typeof QemuAccelProfileSchema>;

/**
 * A kconfig fragment of configs/kconfig/: for every kernel, or only for the
 * kernel versions in `versions` (">=5.19", ">=5.19 <7.0"), for options that
 * appeared, moved or went away: inside the range each of its options is
 * required, outside it the fragment is not merged at all.
 */
const FragmentRefSchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ name: Type.String({ minLength: 1 }), versions: Type.String({ pattern: VERSION_RANGE_PATTERN }) }, { additionalProperties: false }),
]);

export type FragmentRef = Static<typeof FragmentRefSchema>;

const ArchProfileSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9_]+$' }),
  aliases: Type.Array(Type.String(), { default: [] }),
  unameMachine: Type.String(),
  linuxArch: Type.String(),
  debianArch: Type.String(),
  gnuTriplet: Type.String(),
  compiler: Type.String(),
  crossCompile: Type.String(),
  crossPackages: Type.Array(Type.String(), { default: [] }),
  kernel: Type.Object({
    makeTarget: Type.String(),
    image: Type.String(),
    fragments: Type.Array(FragmentRefSchema, { minItems: 1 }),
    optionalFragments: Type.Array(FragmentRefSchema, { default: [] }),
  }, { additionalProperties: false }),
  qemu: Type.Object({
    binary: Type.String(),
    package: Type.String(),
    tcg: QemuAccelProfileSchema,
    kvm: QemuAccelProfileSchema,
    console: Type.String(),
    memoryMb: Type.Integer({ minimum: 64 }),
    netDevice: Type.String(),
    extraArgs: Type.Array(Type.String(), { default: [] }),
  }, { additionalProperties: false }),
  bootTimeoutMs: Type.Object({
    tcg: Type.Integer({ minimum: 1000 }),
    kvm: Type.Integer({ minimum: 1000 }),
  }, { additionalProperties: false }),
  /** Under -accel kvm, this long without a byte on the serial console = KVM cannot run a kernel here. */
  kvmFirstOutputMs: Type.Integer({ minimum: 1000 }),
  /** /proc/cpuinfo flags that show hardware virtualisation on a host of this arch ([] = none to check). */
  hostVirtFlags: Type.Array(Type.String({ pattern: '^[a-z0-9_]+$' }), { default: [] }),
}, { additionalProperties: false });

/** One configs/arch/*.yaml, and the file it was loaded from (for messages). */
export type ArchProfile = Static<typeof ArchProfileSchema> & { file: string };

let cache: Map<string, ArchProfile> | undefined;

export function archDir(): string {
  return join(configsDir, 'arch');
}

export function loadArches(dir = archDir()): Map<string, ArchProfile> {
  const out = new Map<string, ArchProfile>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const file = join(dir, f);
    const profile = validateData(file, loadYaml(file), ArchProfileSchema, 'ARCH_PROFILE_INVALID');
    // A silence window as long as the boot timeout would never fire: the boot would just time out.
    if (profile.kvmFirstOutputMs >= profile.bootTimeoutMs.kvm) {
      throw new UserError('ARCH_PROFILE_INVALID', `${file} is not valid:\n  ${file}: /kvmFirstOutputMs: must be below bootTimeoutMs.kvm (${profile.bootTimeoutMs.kvm})`, { stage: 'cli' });
    }
    out.set(profile.name, { ...profile, file });
  }
  return out;
}

export function allArches(): ArchProfile[] {
  cache ??= loadArches();
  return [...cache.values()];
}

/** Resolve a name or alias; unknown names list what exists on disk. */
export function getArch(name: string): ArchProfile {
  const found = allArches().find((a) => a.name === name || a.aliases.includes(name));
  if (!found) {
    throw new UserError('UNKNOWN_ARCH', `Unknown arch "${name}". Available: ${allArches().map((a) => a.name).join(', ')}`, {
      hint: `add a profile under ${archDir()} to support a new arch`,
    });
  }
  return found;
}

/** The profile name for `name` when it is a profile's name or alias; otherwise `name` unchanged (for a check to report). */
export function canonicalArchName(name: string, arches: readonly Pick<ArchProfile, 'name' | 'aliases'>[] = allArches()): string {
  return arches.find((a) => a.name === name || a.aliases.includes(name))?.name ?? name;
}

/** The host's arch profile, if we have one (used to decide native vs cross). */
export function hostArch(unameMachine: string): ArchProfile | undefined {
  return allArches().find((a) => a.unameMachine === unameMachine);
}
