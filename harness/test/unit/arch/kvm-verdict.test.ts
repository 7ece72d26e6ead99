import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { HostFacts } from '../../../src/arch/host.ts';
import {
  KVM_VERDICT_MAX_AGE_MS, KVM_VERDICT_SCHEMA, describeVerdictContext, kvmVerdictPath, readKvmVerdict, verdictStaleness, writeKvmVerdict, type KvmVerdict,
} from '../../../src/arch/kvm-verdict.ts';

const facts: HostFacts = { hostname: 'runner-1', hostKernel: '6.18.44-fc', qemuVersion: '7.2.22', kvmDevice: '/dev/kvm', virtFlags: [] };
const at = Date.parse('2026-12-01T15:40:12.345Z');
const verdict: KvmVerdict = {
  schema: KVM_VERDICT_SCHEMA, arch: 'x86_64', usable: false, cell: '6.1/x86_64/base',
  reason: 'KVM unusable: no console output within 10 s under -accel kvm (host CPU shows no vmx/svm: nested virtualisation without hardware support?)',
  host: facts, at: new Date(at).toISOString(),
};

describe('KVM verdict record', () => {
  it('still holds on the same host, kernel, qemu, device and CPU flags, within its age', () => {
    assert.equal(verdictStaleness(verdict, { ...facts }, at + 3600_000), null);
  });

  it('expires when anything it was found under changes, and says what', () => {
    assert.equal(verdictStaleness(verdict, { ...facts, hostKernel: '6.19.1' }, at), 'host kernel changed (6.18.44-fc -> 6.19.1)');
    assert.equal(verdictStaleness(verdict, { ...facts, qemuVersion: '8.2.0' }, at), 'qemu changed (7.2.22 -> 8.2.0)');
    assert.equal(verdictStaleness(verdict, { ...facts, hostname: 'runner-2' }, at), 'recorded on another host (runner-1)');
    assert.equal(verdictStaleness(verdict, { ...facts, kvmDevice: '/tmp/x' }, at), 'KVM device changed (/dev/kvm -> /tmp/x)');
    assert.equal(verdictStaleness(verdict, { ...facts, virtFlags: ['vmx'] }, at), 'CPU virtualisation flags changed ([] -> [vmx])');
    assert.equal(verdictStaleness(verdict, facts, at + KVM_VERDICT_MAX_AGE_MS + 1), 'older than 7 days');
    assert.equal(verdictStaleness({ ...verdict, at: 'yesterday' }, facts, at), 'no valid time');
  });

  it('ignores the order of CPU flags', () => {
    const v = { ...verdict, host: { ...facts, virtFlags: ['svm', 'vmx'] } };
    assert.equal(verdictStaleness(v, { ...facts, virtFlags: ['vmx', 'svm'] }, at), null);
  });

  it('is written atomically under host/ in the cache and read back; unreadable or foreign records count as none', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kvm-verdict-'));
    assert.equal(await readKvmVerdict(cache, 'x86_64'), null);
    await writeKvmVerdict(cache, verdict);
    assert.equal(kvmVerdictPath(cache, 'x86_64'), join(cache, 'host', 'kvm-x86_64.json'));
    assert.deepEqual(await readKvmVerdict(cache, 'x86_64'), verdict);
    assert.deepEqual(readdirSync(join(cache, 'host')), ['kvm-x86_64.json'], 'no temp file left behind');
    writeFileSync(kvmVerdictPath(cache, 'x86_64'), '{"usable": fal');
    assert.equal(await readKvmVerdict(cache, 'x86_64'), null);
    writeFileSync(kvmVerdictPath(cache, 'x86_64'), JSON.stringify({ ...verdict, schema: 99 }));
    assert.equal(await readKvmVerdict(cache, 'x86_64'), null);
    mkdirSync(join(cache, 'host', 'kvm-arm64.json'));
    assert.equal(await readKvmVerdict(cache, 'arm64'), null);
  });

  it('describes where and when it was found', () => {
    assert.equal(describeVerdictContext(verdict), '2026-12-01 15:40 UTC by 6.1/x86_64/base, host kernel 6.18.44-fc, qemu 7.2.22');
  });
});
