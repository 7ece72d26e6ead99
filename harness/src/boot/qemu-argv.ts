// QEMU argv as a pure function of (profile, accel, paths, port): no shell
// string, snapshot-tested. Everything arch-specific comes from the profile.
import type { Accel, ArchProfile } from '../arch/profile.ts';

export interface QemuArgvRequest {
  arch: ArchProfile;
  accel: Accel;
  kernelImage: string;
  initrd: string;
  sshPort: number;
  /** Extra kernel command line words (e.g. a fault test's init=). */
  extraCmdline?: string[];
  memoryMb?: number;
}

export function kernelCmdline(arch: ArchProfile, extra: readonly string[] = []): string {
  return [
    `console=${arch.qemu.console}`,
    // Reboot (= qemu exits, with -no-reboot) at once on panic instead of hanging.
    'panic=-1',
    // Without it dropbear waits ~4.5 s for entropy on an idle TCG guest.
    'random.trust_cpu=on',
    'printk.time=1',
    ...extra,
  ].join(' ');
}

export function qemuArgv(req: QemuArgvRequest): { file: string; args: string[] } {
  const p = req.arch.qemu[req.accel];
  const args = [
    '-machine', p.machine,
    '-accel', p.accel,
    '-cpu', p.cpu,
    '-smp', '1',
    '-m', String(req.memoryMb ?? req.arch.qemu.memoryMb),
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    '-no-reboot',
    '-kernel', req.kernelImage,
    '-initrd', req.initrd,
    '-append', kernelCmdline(req.arch, req.extraCmdline),
    // 127.0.0.1 only: the guest's sshd must never be reachable from the network.
    '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${req.sshPort}-:22`,
    '-device', `${req.arch.qemu.netDevice},netdev=net0`,
    ...req.arch.qemu.extraArgs,
  ];
  return { file: req.arch.qemu.binary, args };
}
