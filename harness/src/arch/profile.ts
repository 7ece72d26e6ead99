// One registry of arches, loaded from configs/arch/*.yaml (virtme-ng keeps all
// names of an arch together; we keep them in data so a third arch is a file).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configsDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { UserError } from '../errors.ts';

export type Accel = 'kvm' | 'tcg';

export interface QemuAccelProfile {
  machine: string;
  cpu: string;
  accel: Accel;
}

export interface ArchProfile {
  name: string;
  aliases: string[];
  unameMachine: string;
  linuxArch: string;
  debianArch: string;
  gnuTriplet: string;
  compiler: string;
  crossCompile: string;
  crossPackages: string[];
  kernel: { makeTarget: string; image: string; fragments: string[]; optionalFragments?: string[] };
  qemu: {
    binary: string;
    package: string;
    tcg: QemuAccelProfile;
    kvm: QemuAccelProfile;
    console: string;
    memoryMb: number;
    netDevice: string;
    extraArgs: string[];
  };
  bootTimeoutMs: Record<Accel, number>;
  /** Under -accel kvm, this long without a byte on the serial console = KVM cannot run a kernel here. */
  kvmFirstOutputMs: number;
  /** /proc/cpuinfo flags that show hardware virtualisation on a host of this arch ([] = none to check). */
  hostVirtFlags: string[];
  /** File it was loaded from, for messages. */
  file: string;
}

const accelSchema = {
  type: 'object',
  required: ['machine', 'cpu', 'accel'],
  additionalProperties: false,
  properties: { machine: { type: 'string' }, cpu: { type: 'string' }, accel: { enum: ['kvm', 'tcg'] } },
};

export const archSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'unameMachine', 'linuxArch', 'debianArch', 'gnuTriplet', 'compiler', 'crossCompile', 'kernel', 'qemu', 'bootTimeoutMs', 'kvmFirstOutputMs'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9_]+$' },
    aliases: { type: 'array', items: { type: 'string' }, default: [] },
    unameMachine: { type: 'string' },
    linuxArch: { type: 'string' },
    debianArch: { type: 'string' },
    gnuTriplet: { type: 'string' },
    compiler: { type: 'string' },
    crossCompile: { type: 'string' },
    crossPackages: { type: 'array', items: { type: 'string' }, default: [] },
    kernel: {
      type: 'object',
      additionalProperties: false,
      required: ['makeTarget', 'image', 'fragments'],
      properties: {
        makeTarget: { type: 'string' },
        image: { type: 'string' },
        fragments: { type: 'array', items: { type: 'string' }, minItems: 1 },
        optionalFragments: { type: 'array', items: { type: 'string' } },
      },
    },
    qemu: {
      type: 'object',
      additionalProperties: false,
      required: ['binary', 'package', 'tcg', 'kvm', 'console', 'memoryMb', 'netDevice'],
      properties: {
        binary: { type: 'string' },
        package: { type: 'string' },
        tcg: accelSchema,
        kvm: accelSchema,
        console: { type: 'string' },
        memoryMb: { type: 'integer', minimum: 64 },
        netDevice: { type: 'string' },
        extraArgs: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
    bootTimeoutMs: {
      type: 'object',
      additionalProperties: false,
      required: ['tcg', 'kvm'],
      properties: { tcg: { type: 'integer', minimum: 1000 }, kvm: { type: 'integer', minimum: 1000 } },
    },
    kvmFirstOutputMs: { type: 'integer', minimum: 1000 },
    hostVirtFlags: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9_]+$' }, default: [] },
  },
};

let cache: Map<string, ArchProfile> | undefined;

export function archDir(): string {
  return join(configsDir, 'arch');
}

export function loadArches(dir = archDir()): Map<string, ArchProfile> {
  const out = new Map<string, ArchProfile>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const file = join(dir, f);
    const profile = validateData<Omit<ArchProfile, 'file'>>(file, loadYaml(file), archSchema, 'ARCH_PROFILE_INVALID');
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
