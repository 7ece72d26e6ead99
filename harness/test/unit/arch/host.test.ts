import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { kvmDevice, parseVirtFlags, virtFlagsNote } from '../../../src/arch/host.ts';

// Two processors of a nested x86_64 guest (no vmx/svm: hypervisor only) and one of a bare-metal Intel host.
const nested = [
  'processor\t: 0', 'vendor_id\t: GenuineIntel', 'model name\t: Intel Xeon Processor (Icelake)',
  'flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge hypervisor lahf_lm abm',
  'bugs\t\t: spectre_v1', '',
  'processor\t: 1', 'flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge hypervisor lahf_lm abm', '',
].join('\n');
const intel = 'processor\t: 0\nflags\t\t: fpu vme de pse tsc vmx smx est tm2\nvmx flags\t: vnmi preemption_timer invvpid ept_x_only\n';
const amd = 'processor\t: 0\nflags\t\t: fpu vme svm extapic cr8_legacy\n';
const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\nCPU implementer\t: 0x41\n';

describe('host CPU virtualisation flags', () => {
  it('finds vmx on Intel and svm on AMD, on the flags line only', () => {
    assert.deepEqual(parseVirtFlags(intel, ['vmx', 'svm']), ['vmx']);
    assert.deepEqual(parseVirtFlags(amd, ['vmx', 'svm']), ['svm']);
  });

  it('finds none in a nested guest without hardware virtualisation, and says what that suggests', () => {
    assert.deepEqual(parseVirtFlags(nested, ['vmx', 'svm']), []);
    assert.equal(virtFlagsNote({ wanted: ['vmx', 'svm'], present: [] }), 'host CPU shows no vmx/svm: nested virtualisation without hardware support?');
  });

  it('does not mistake the "vmx flags" line or a flag substring for the flag', () => {
    assert.deepEqual(parseVirtFlags('flags\t\t: fpu vmxx\nvmx flags\t: vnmi\n', ['vmx']), []);
  });

  it('has nothing to say on an arch whose profile lists no flags (arm64 cpuinfo has none), or when they are present', () => {
    assert.deepEqual(parseVirtFlags(arm, []), []);
    assert.equal(virtFlagsNote({ wanted: [], present: [] }), '');
    assert.equal(virtFlagsNote({ wanted: ['vmx', 'svm'], present: ['vmx'] }), '');
  });

  it('reads empty or garbage text as no flags, never throwing', () => {
    assert.deepEqual(parseVirtFlags('', ['vmx']), []);
    assert.deepEqual(parseVirtFlags('flags', ['vmx']), []);
  });
});

describe('KVMATRIX_KVM_DEVICE', () => {
  const saved = process.env.KVMATRIX_KVM_DEVICE;
  afterEach(() => {
    if (saved === undefined) delete process.env.KVMATRIX_KVM_DEVICE;
    else process.env.KVMATRIX_KVM_DEVICE = saved;
  });

  it('defaults to /dev/kvm and can point elsewhere (tests use a plain file)', () => {
    delete process.env.KVMATRIX_KVM_DEVICE;
    assert.equal(kvmDevice(), '/dev/kvm');
    const file = join(mkdtempSync(join(tmpdir(), 'kvm-dev-')), 'kvm');
    writeFileSync(file, '');
    process.env.KVMATRIX_KVM_DEVICE = file;
    assert.equal(kvmDevice(), file);
    process.env.KVMATRIX_KVM_DEVICE = '';
    assert.equal(kvmDevice(), '/dev/kvm');
  });
});
