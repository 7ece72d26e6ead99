// What this host can do for an arch: native or cross toolchain, and whether
// KVM really works (open /dev/kvm read-write *and* a qemu that starts with
// it: on some nested hosts /dev/kvm opens but vCPU setup aborts).
import { machine } from 'node:os';
import { closeSync, constants, openSync } from 'node:fs';
import type { Accel, ArchProfile } from './profile.ts';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';

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

export interface KvmStatus {
  usable: boolean;
  reason: string;
}

const probeCache = new Map<string, KvmStatus>();

export async function kvmStatus(arch: ArchProfile): Promise<KvmStatus> {
  const cached = probeCache.get(arch.name);
  if (cached) return cached;
  const status = await probeKvm(arch);
  probeCache.set(arch.name, status);
  return status;
}

async function probeKvm(arch: ArchProfile): Promise<KvmStatus> {
  if (!isNative(arch)) return { usable: false, reason: `not native (host is ${machine()})` };
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { usable: false, reason: `/dev/kvm: ${code === 'ENOENT' ? 'missing' : code}` };
  }
  // Start a paused VM: qemu creates the vCPU and loads its registers, which is
  // where broken nested setups abort. Still alive after the timeout = usable.
  const p = arch.qemu.kvm;
  const r = await run(arch.qemu.binary, ['-machine', p.machine, '-accel', 'kvm', '-cpu', p.cpu, '-m', '64',
    '-nodefaults', '-display', 'none', '-monitor', 'none', '-S'], { timeoutMs: 1500 });
  if (r.timedOut) return { usable: true, reason: '/dev/kvm read-write, qemu starts a KVM vCPU' };
  const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160);
  return { usable: false, reason: `/dev/kvm opens but qemu -accel kvm fails: ${why || `exit ${r.exitCode}`}` };
}

export type AccelPolicy = 'auto' | Accel;

export async function chooseAccel(arch: ArchProfile, policy: AccelPolicy): Promise<{ accel: Accel; reason: string }> {
  if (policy === 'tcg') return { accel: 'tcg', reason: 'requested' };
  const kvm = await kvmStatus(arch);
  if (policy === 'kvm') {
    if (!kvm.usable) {
      throw new InfraError('KVM_UNUSABLE', `--accel kvm requested for ${arch.name} but KVM is not usable: ${kvm.reason}`, {
        stage: 'boot', hint: 'use --accel auto or tcg, or run on a host with working /dev/kvm',
      });
    }
    return { accel: 'kvm', reason: kvm.reason };
  }
  return kvm.usable ? { accel: 'kvm', reason: kvm.reason } : { accel: 'tcg', reason: kvm.reason };
}
