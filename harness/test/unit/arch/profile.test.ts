import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { allArches, getArch, loadArches } from '../../../src/arch/profile.ts';
import { UserError } from '../../../src/errors.ts';

describe('arch profiles', () => {
  it('loads x86_64, arm64 and riscv64 from configs/arch with all their names', () => {
    const names = allArches().map((a) => a.name).sort();
    assert.deepEqual(names, ['arm64', 'riscv64', 'x86_64']);
    assert.equal(getArch('aarch64').linuxArch, 'arm64');
    assert.equal(getArch('amd64').kernel.image, 'arch/x86/boot/bzImage');
    // The third arch is data only: its names for linux, gcc, Debian and qemu all live in its profile.
    const rv = getArch('riscv64');
    assert.deepEqual([rv.linuxArch, rv.gnuTriplet, rv.debianArch, rv.qemu.binary, rv.qemu.package, rv.kernel.image, rv.qemu.console],
      ['riscv', 'riscv64-linux-gnu', 'riscv64', 'qemu-system-riscv64', 'qemu-system-misc', 'arch/riscv/boot/Image', 'ttyS0']);
    assert.deepEqual(rv.crossPackages, ['gcc-riscv64-linux-gnu', 'libc6-dev-riscv64-cross']);
  });

  it('rejects an unknown arch and lists the ones on disk', () => {
    assert.throws(() => getArch('s390x'), (e: unknown) => e instanceof UserError && e.code === 'UNKNOWN_ARCH' && /Available: arm64, riscv64, x86_64/.test(e.message));
  });

  it('validates a profile with a schema and names the file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-arch-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nunameMachine: x\nlinuxArch: x\ndebianArch: x\ngnuTriplet: x\ncompiler: gcc\ncrossCompile: x-\nkernel: { makeTarget: y, image: z, fragments: [] }\nqemu: { binary: q }\nbootTimeoutMs: { tcg: 5, kvm: 5000 }\n');
    assert.throws(() => loadArches(dir), (e: unknown) => {
      const m = (e as Error).message;
      return /bad\.yaml: \/kernel\/fragments: must NOT have fewer than 1 items/.test(m) && /\/qemu: must have required property 'tcg'/.test(m) && /\/bootTimeoutMs\/tcg: must be >= 1000/.test(m);
    });
  });
});

describe('arch profiles: KVM trust data', () => {
  it('every arch has a KVM silence window below its KVM boot timeout; x86_64 names its CPU flags', () => {
    for (const a of allArches()) assert.ok(a.kvmFirstOutputMs >= 1000 && a.kvmFirstOutputMs < a.bootTimeoutMs.kvm, a.name);
    assert.deepEqual(getArch('x86_64').hostVirtFlags, ['vmx', 'svm']);
    assert.deepEqual(getArch('arm64').hostVirtFlags, []);
  });

  it('rejects a silence window that the boot timeout would always beat', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-arch-'));
    const good = readFileSync(getArch('x86_64').file, 'utf8');
    writeFileSync(join(dir, 'x86_64.yaml'), good.replace(/^kvmFirstOutputMs: \d+$/m, 'kvmFirstOutputMs: 30000'));
    assert.throws(() => loadArches(dir), (e: unknown) => e instanceof UserError && /\/kvmFirstOutputMs: must be below bootTimeoutMs\.kvm \(30000\)/.test(e.message));
  });
});
