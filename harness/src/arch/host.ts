// What this host can do for an arch: native or cross toolchain, and whether
// KVM could work: the device opens read-write *and* qemu starts a paused KVM
// vCPU (on some nested hosts /dev/kvm opens but vCPU setup aborts). Passing
// that probe is not trust: a nested host without vmx/svm passes it and then
// runs no kernel. boot/accel-boot.ts trusts KVM only after a real boot.
import { hostname, machine, release } from 'node:os';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import type { Accel, ArchProfile } from './profile.ts';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { qemuVersion } from './qemu-version.ts';

export function isNative(arch: ArchProfile): boolean {
  return machine() === arch.unameMachine;
}

/** CROSS_COMPILE prefix for kernel and selftest builds ('' when native). */
export function crossPrefix(arch: ArchProfile): string {
  return isNative(arch) ? '' : arch.crossCompile;
}

export function compilerFor(arch: ArchProfile): string {
  return `${crossPrefix(arch)}${arch.compiler}`;
}

/**
 * The device kvmatrix checks before considering KVM. KVMATRIX_KVM_DEVICE
 * exists for tests: with a stand-in qemu that plays a lying KVM they point
 * it at a file, so the scenario runs on hosts without /dev/kvm.
 */
export function kvmDevice(): string {
  return process.env.KVMATRIX_KVM_DEVICE || '/dev/kvm';
}

export interface KvmStatus {
  usable: boolean;
  reason: string;
}

// The promise, not the value: concurrent cells share one probe.
const probeCache = new Map<string, Promise<KvmStatus>>();

/** The paused-VM probe, once per arch per run. */
export function kvmStatus(arch: ArchProfile): Promise<KvmStatus> {
  let status = probeCache.get(arch.name);
  if (!status) {
    status = probeKvm(arch);
    probeCache.set(arch.name, status);
  }
  return status;
}

async function probeKvm(arch: ArchProfile): Promise<KvmStatus> {
  if (!isNative(arch)) return { usable: false, reason: `not native (host is ${machine()})` };
  const device = kvmDevice();
  try {
    closeSync(openSync(device, constants.O_RDWR));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { usable: false, reason: `${device}: ${code === 'ENOENT' ? 'missing' : code}` };
  }
  // Start a paused VM: qemu creates the vCPU and loads its registers, which is
  // where broken nested setups abort. Still alive after the timeout = usable.
  const p = arch.qemu.kvm;
  const r = await run(arch.qemu.binary, ['-machine', p.machine, '-accel', 'kvm', '-cpu', p.cpu, '-m', '64',
    '-nodefaults', '-display', 'none', '-monitor', 'none', '-S'], { timeoutMs: 1500 });
  if (r.timedOut) return { usable: true, reason: `${device} read-write, qemu starts a paused KVM vCPU` };
  const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160);
  return { usable: false, reason: `${device} opens but qemu -accel kvm fails: ${why || `exit ${r.exitCode}`}` };
}

export interface VirtFlags {
  /** The flags this arch's profile asks about ([] = nothing to check on this arch). */
  wanted: string[];
  /** Those of them the host CPU shows. */
  present: string[];
}

/** Which of `wanted` appear on a `flags` line of /proc/cpuinfo text (x86: "flags\t\t: fpu vme ... vmx"). */
export function parseVirtFlags(cpuinfo: string, wanted: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const line of cpuinfo.split('\n')) {
    const m = /^flags\s*:(.*)$/.exec(line);
    if (!m) continue;
    for (const flag of (m[1] ?? '').trim().split(/\s+/)) seen.add(flag);
  }
  return wanted.filter((f) => seen.has(f));
}

/** The host CPU's virtualisation flags as this arch's profile names them (only meaningful when native). */
export function hostVirtFlags(arch: ArchProfile, cpuinfoPath = '/proc/cpuinfo'): VirtFlags {
  if (arch.hostVirtFlags.length === 0 || !isNative(arch)) return { wanted: [], present: [] };
  let text = '';
  try {
    text = readFileSync(cpuinfoPath, 'utf8');
  } catch {
    // No /proc (odd container): report none present, the boot decides anyway.
  }
  return { wanted: [...arch.hostVirtFlags], present: parseVirtFlags(text, arch.hostVirtFlags) };
}

/** "no vmx/svm in /proc/cpuinfo" style context for messages; '' when the arch has nothing to check or they are there. */
export function virtFlagsNote(flags: VirtFlags): string {
  if (flags.wanted.length === 0 || flags.present.length > 0) return '';
  return `host CPU shows no ${flags.wanted.join('/')}: nested virtualisation without hardware support?`;
}

/** What a KVM verdict was found under; a change in any of these makes it stale. */
export interface HostFacts {
  hostname: string;
  /** `uname -r` */
  hostKernel: string;
  qemuVersion: string | null;
  kvmDevice: string;
  virtFlags: string[];
}

export async function hostFacts(arch: ArchProfile): Promise<HostFacts> {
  return {
    hostname: hostname(),
    hostKernel: release(),
    qemuVersion: await qemuVersion(arch.qemu.binary),
    kvmDevice: kvmDevice(),
    virtFlags: hostVirtFlags(arch).present,
  };
}

export type AccelPolicy = 'auto' | Accel;

/** The paused-probe decision alone; boot/accel-boot.ts adds the real-boot trust on top. */
export async function chooseAccel(arch: ArchProfile, policy: AccelPolicy): Promise<{ accel: Accel; reason: string }> {
  if (policy === 'tcg') return { accel: 'tcg', reason: 'requested' };
  const kvm = await kvmStatus(arch);
  if (policy === 'kvm') {
    if (!kvm.usable) throw kvmUnusableError(arch, kvm.reason);
    return { accel: 'kvm', reason: kvm.reason };
  }
  return kvm.usable ? { accel: 'kvm', reason: kvm.reason } : { accel: 'tcg', reason: kvm.reason };
}

export function kvmUnusableError(arch: ArchProfile, reason: string, code = 'KVM_UNUSABLE'): InfraError {
  return new InfraError(code, `--accel kvm requested for ${arch.name} but KVM is not usable: ${reason}`, {
    stage: 'boot', hint: 'use --accel auto (falls back to TCG) or --accel tcg, or run on a host whose KVM runs guests',
  });
}
