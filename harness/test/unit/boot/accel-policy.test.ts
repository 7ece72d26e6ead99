import assert from 'node:assert/strict';
import { planAccel, type PlanInput, type RunTrust } from '../../../src/boot/accel-policy.ts';
import { KVM_VERDICT_SCHEMA, type KvmVerdict } from '../../../src/arch/kvm-verdict.ts';

const probeOk = { usable: true, reason: '/dev/kvm read-write, qemu starts a paused KVM vCPU' };
const probeBad = { usable: false, reason: '/dev/kvm: missing' };
const silent = 'KVM unusable: no console output within 10 s under -accel kvm (nested virtualisation?)';
const failedBefore: KvmVerdict = {
  schema: KVM_VERDICT_SCHEMA, arch: 'x86_64', usable: false, reason: silent, cell: '6.1/x86_64/base', at: '2026-12-01T15:40:00.000Z',
  host: { hostname: 'h', hostKernel: '6.18', qemuVersion: '7.2.22', kvmDevice: '/dev/kvm', virtFlags: [] },
};
const workedBefore: KvmVerdict = { ...failedBefore, usable: true, reason: 'verified by a real boot: kernel console after 0.4 s, SSH after 1.9 s' };

function plan(p: Partial<PlanInput>) {
  return planAccel({ policy: 'auto', known: undefined, remembered: undefined, probe: undefined, kvmFirstOutputMs: 10_000, ...p });
}

describe('accelerator policy', () => {
  it('tcg is tcg, whatever is known', () => {
    assert.deepEqual(plan({ policy: 'tcg', known: { state: 'trusted', reason: 'x' } }), { do: 'boot', accel: 'tcg', reason: 'requested' });
  });

  describe('auto', () => {
    it('first reads the verdict on disk, then probes, then puts KVM on trial', () => {
      assert.deepEqual(plan({}), { do: 'recall' });
      assert.deepEqual(plan({ remembered: null }), { do: 'probe' });
      const p = plan({ remembered: null, probe: probeOk });
      assert.equal(p.do, 'boot');
      assert.ok(p.do === 'boot' && p.accel === 'kvm' && p.trial);
      assert.match(p.do === 'boot' ? p.reason : '', /qemu starts a paused KVM vCPU; on trial: 10 s without console output means TCG for the rest of the run/);
    });

    it('uses TCG when the probe already fails', () => {
      assert.deepEqual(plan({ remembered: null, probe: probeBad }), { do: 'boot', accel: 'tcg', reason: '/dev/kvm: missing' });
    });

    it('skips KVM without a trial (or a probe) when the last real boot on this host failed', () => {
      const p = plan({ remembered: failedBefore });
      assert.ok(p.do === 'boot' && p.accel === 'tcg');
      assert.match(p.reason, /^KVM skipped: the last real boot on this host failed \(2026-12-01 15:40 UTC by 6\.1\/x86_64\/base, host kernel 6\.18, qemu 7\.2\.22\): KVM unusable: no console output within 10 s/);
    });

    it('still runs a trial when the last real boot worked, and says it was verified', () => {
      const p = plan({ remembered: workedBefore, probe: probeOk });
      assert.ok(p.do === 'boot' && p.accel === 'kvm' && p.trial);
      assert.match(p.reason, /last real boot: verified by a real boot/);
    });

    it('waits for another cell\'s trial instead of paying the window again', () => {
      const settled = Promise.resolve();
      const known: RunTrust = { state: 'trial', cell: 'a', settled };
      const p = plan({ known, remembered: null, probe: probeOk });
      assert.equal(p.do, 'wait');
      assert.equal(p.do === 'wait' ? p.settled : null, settled);
    });

    it('after the run learned KVM is silent, goes straight to TCG naming who found out', () => {
      const p = plan({ known: { state: 'unusable', reason: silent, cell: '6.1/x86_64/base' } });
      assert.deepEqual(p, { do: 'boot', accel: 'tcg', reason: `${silent} (found by 6.1/x86_64/base in this run)` });
    });

    it('after the run verified KVM, boots KVM (no new trial)', () => {
      assert.deepEqual(plan({ known: { state: 'trusted', reason: 'verified' } }), { do: 'boot', accel: 'kvm', reason: 'verified', trial: false });
    });
  });

  describe('kvm (strict)', () => {
    it('never reads the verdict on disk: an explicit KVM boot is how it is re-checked', () => {
      assert.deepEqual(plan({ policy: 'kvm' }), { do: 'probe' });
      const p = plan({ policy: 'kvm', remembered: failedBefore, probe: probeOk });
      assert.ok(p.do === 'boot' && p.accel === 'kvm' && p.trial);
      assert.match(p.reason, /10 s without console output means a failed boot \(strict --accel kvm\)/);
    });

    it('fails, never falls back, when the probe fails or the run already found KVM silent', () => {
      assert.deepEqual(plan({ policy: 'kvm', probe: probeBad }), { do: 'fail', reason: '/dev/kvm: missing' });
      assert.deepEqual(plan({ policy: 'kvm', known: { state: 'unusable', reason: silent, cell: null } }), { do: 'fail', reason: silent });
    });
  });
});
