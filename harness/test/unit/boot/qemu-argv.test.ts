import assert from 'node:assert/strict';
import { getArch } from '../../../src/arch/profile.ts';
import { qemuArgv, kernelCmdline } from '../../../src/boot/qemu-argv.ts';

describe('qemuArgv', () => {
  it('builds the x86_64 TCG command line (snapshot)', () => {
    const { file, args } = qemuArgv({ arch: getArch('x86_64'), accel: 'tcg', kernelImage: '/k/bzImage', initrd: '/i/initrd.cpio.gz', sshPort: 40022 });
    assert.equal(file, 'qemu-system-x86_64');
    assert.deepEqual(args, [
      '-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', '1024',
      '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
      '-kernel', '/k/bzImage', '-initrd', '/i/initrd.cpio.gz',
      '-append', 'console=ttyS0 panic=-1 random.trust_cpu=on printk.time=1',
      '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22', '-device', 'virtio-net-pci,netdev=net0',
    ]);
  });

  it('uses the arm64 profile: virt machine, fast cortex-a72 under TCG, PL011 console', () => {
    const { file, args } = qemuArgv({ arch: getArch('aarch64'), accel: 'tcg', kernelImage: '/k/Image', initrd: '/i/x', sshPort: 1 });
    assert.equal(file, 'qemu-system-aarch64');
    assert.equal(args[args.indexOf('-machine') + 1], 'virt');
    assert.equal(args[args.indexOf('-cpu') + 1], 'cortex-a72');
    assert.match(args[args.indexOf('-append') + 1] ?? '', /^console=ttyAMA0 /);
  });

  it('switches machine and cpu for KVM', () => {
    const { args } = qemuArgv({ arch: getArch('arm64'), accel: 'kvm', kernelImage: '/k', initrd: '/i', sshPort: 2 });
    assert.equal(args[args.indexOf('-machine') + 1], 'virt,gic-version=host');
    assert.equal(args[args.indexOf('-cpu') + 1], 'host');
    assert.equal(args[args.indexOf('-accel') + 1], 'kvm');
  });

  it('forwards SSH on 127.0.0.1 only', () => {
    const { args } = qemuArgv({ arch: getArch('x86_64'), accel: 'tcg', kernelImage: '/k', initrd: '/i', sshPort: 5555 });
    const netdev = args[args.indexOf('-netdev') + 1] ?? '';
    assert.match(netdev, /hostfwd=tcp:127\.0\.0\.1:5555-:22/);
    assert.doesNotMatch(netdev, /0\.0\.0\.0/);
  });

  it('appends extra kernel command line words as separate words, never a shell string', () => {
    const extra = 'init=/nope; rm -rf /';
    assert.equal(kernelCmdline(getArch('x86_64'), [extra]), `console=ttyS0 panic=-1 random.trust_cpu=on printk.time=1 ${extra}`);
    // In the argv the whole command line is one element, handed to qemu as is (no shell in between).
    const { args } = qemuArgv({ arch: getArch('x86_64'), accel: 'tcg', kernelImage: '/k', initrd: '/i', sshPort: 3, extraCmdline: [extra] });
    assert.deepEqual(args.filter((a) => a.includes('rm -rf')), [args[args.indexOf('-append') + 1]]);
    assert.ok(args[args.indexOf('-append') + 1]?.endsWith(extra));
  });
});
