// bootWithPolicy's run-level memory with a stand-in qemu (a tiny shell
// script, no real QEMU): silent under KVM; under TCG it prints one line (or
// nothing, when the test makes the kernel itself silent) and then hangs, so
// a KVM boot ends KVM_SILENT and the TCG fallback ends BOOT_TIMEOUT. What is
// checked is who booted what, and what was remembered.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, tmpdir } from 'node:os';
import { getArch, type ArchProfile } from '../../../src/arch/profile.ts';
import { bootWithPolicy, forgetKvmTrust, type PolicyBootRequest } from '../../../src/boot/accel-boot.ts';
import { readKvmVerdict } from '../../../src/arch/kvm-verdict.ts';
import { InfraError } from '../../../src/errors.ts';

describe('bootWithPolicy (stand-in qemu, silent under KVM)', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'kvm-accel-boot-'));
  const log = join(dir, 'argv.log');
  const fake = join(dir, 'qemu-fake');
  const device = join(dir, 'kvm');
  const savedDevice = process.env.KVMATRIX_KVM_DEVICE;
  writeFileSync(device, '');
    const tcgSilent = join(dir, 'tcg-silent');
  writeFileSync(fake, [
    '#!/bin/sh',
    `echo "$*" >> '${log}'`,
    'case "$*" in',
    "  *--version*) echo 'QEMU emulator version 0.0.0-fake'; exit 0 ;;",
    '  *"-accel kvm"*) exec sleep 60 ;;',
    'esac',
    `[ -e '${tcgSilent}' ] || echo '[    0.000000] Linux version fake'`,
    'exec sleep 60',
    '',
  ].join('\n'));
  chmodSync(fake, 0o755);
  const base = getArch('x86_64');
  // Its own name (the probe is cached per arch name) and native wherever the test runs.
  let arch: ArchProfile = { ...base, name: 'fakearch', unameMachine: machine(), hostVirtFlags: [], kvmFirstOutputMs: 1000, qemu: { ...base.qemu, binary: fake } };
  const cacheDir = join(dir, 'cache');
  const events: string[] = [];
  const req = (cell: string, policy: PolicyBootRequest['policy'], accels: string[]): PolicyBootRequest => ({
    arch, policy, cacheDir, cell, kernelImage: '/nonexistent/bzImage', initrd: '/nonexistent/initrd', timeoutMs: 1500,
    keys: { dir, clientPrivateKey: join(dir, 'none'), clientPublicKey: '', hostKeyPath: join(dir, 'none'), hostKeyBlob: Buffer.alloc(0), hostPublicKey: '' },
    consoleLogPath: join(dir, cell, 'console.log'),
    onAccel: (accel, reason) => accels.push(`${accel}: ${reason}`),
    report: (e) => { if (e.kind === 'warn' || e.kind === 'info') events.push(`${e.cell}: ${e.text}`); },
  });
  const kernelBoots = (accel: string) => readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('-kernel') && l.includes(`-accel ${accel}`)).length;

  before(() => {
    process.env.KVMATRIX_KVM_DEVICE = device;
    forgetKvmTrust();
  });
  after(() => {
    if (savedDevice === undefined) delete process.env.KVMATRIX_KVM_DEVICE;
    else process.env.KVMATRIX_KVM_DEVICE = savedDevice;
    forgetKvmTrust();
  });

  it('two concurrent cells pay one KVM trial: one falls back after the window, the other waits and goes to TCG', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const results = await Promise.allSettled([bootWithPolicy(req('a', 'auto', a)), bootWithPolicy(req('b', 'auto', b))]);
    for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof InfraError && r.reason.code === 'BOOT_TIMEOUT', String(r.status === 'rejected' ? r.reason : r));
    assert.equal(kernelBoots('kvm'), 1, 'exactly one KVM boot');
    assert.equal(kernelBoots('tcg'), 2, 'both cells booted under TCG');
    const [trialCell, waiter] = a[0]?.startsWith('kvm') ? [a, b] : [b, a];
    assert.match(trialCell[0] ?? '', /^kvm: .*paused KVM vCPU; on trial: 1 s without console output/);
    assert.match(trialCell[1] ?? '', /^tcg: fell back to TCG after 1\.\d s under KVM: KVM unusable: no console output within 1 s under -accel kvm \(nested virtualisation\?\)$/);
    assert.deepEqual(waiter.length, 1);
    assert.match(waiter[0] ?? '', /^tcg: KVM unusable: no console output within 1 s .* \(found by [ab] in this run\)$/);
    assert.ok(events.some((e) => /waiting for another cell's KVM trial boot/.test(e)), events.join('\n'));
    const verdict = await readKvmVerdict(cacheDir, 'fakearch');
    assert.equal(verdict?.usable, false);
    assert.match(verdict?.reason ?? '', /^KVM unusable: no console output within 1 s under -accel kvm .*; the same kernel printed under TCG$/);
    assert.equal(verdict?.host.qemuVersion, '0.0.0-fake');
    assert.equal(verdict?.host.kvmDevice, device);
    assert.ok(existsSync(join(dir, trialCell === a ? 'a' : 'b', 'console.kvm-silent.log')), 'the silent attempt\'s console log is kept');
  });

  it('strict --accel kvm later in the same run fails at once with the reason, no boot', async () => {
    const before = readFileSync(log, 'utf8');
    await assert.rejects(bootWithPolicy(req('c', 'kvm', [])),
      (e: unknown) => e instanceof InfraError && e.code === 'KVM_UNUSABLE' && /--accel kvm requested for fakearch but KVM is not usable: KVM unusable: no console output within 1 s/.test(e.message));
    assert.equal(readFileSync(log, 'utf8'), before);
  });

  it('a later run (fresh process memory) skips KVM from the verdict on disk: no probe, no trial', async () => {
    forgetKvmTrust();
    const before = kernelBoots('kvm');
    const accels: string[] = [];
    await assert.rejects(bootWithPolicy(req('d', 'auto', accels)), (e: unknown) => e instanceof InfraError && e.code === 'BOOT_TIMEOUT');
    assert.equal(kernelBoots('kvm'), before);
    assert.match(accels[0] ?? '', /^tcg: KVM skipped: the last real boot on this host failed \(.* by [ab], host kernel .*, qemu 0\.0\.0-fake\): KVM unusable: no console output/);
  });

  it('strict --accel kvm in a later run tries KVM for real (that is how the verdict is re-checked) and fails loudly', async () => {
    forgetKvmTrust();
    const before = kernelBoots('kvm');
    const accels: string[] = [];
    await assert.rejects(bootWithPolicy(req('e', 'kvm', accels)),
      (e: unknown) => e instanceof InfraError && e.code === 'KVM_SILENT' && /^--accel kvm requested for fakearch but KVM unusable: no console output within 1 s/.test(e.message));
    assert.equal(kernelBoots('kvm'), before + 1);
    assert.equal(kernelBoots('tcg'), 3, 'no fallback');
    assert.deepEqual(accels.map((x) => x.split(':')[0]), ['kvm']);
    // A strict failure has no TCG boot to confirm it was KVM's fault: the record from the first test stays.
    assert.match((await readKvmVerdict(cacheDir, 'fakearch'))?.cell ?? '', /^[ab]$/);
  });

  it('blames nobody when the kernel is silent under TCG too: no verdict, and the next boot tries KVM again', async () => {
    forgetKvmTrust();
    writeFileSync(tcgSilent, '');
    arch = { ...arch, name: 'fakearch2' };
    const kvmBefore = kernelBoots('kvm');
    for (const cell of ['f', 'g']) {
      await assert.rejects(bootWithPolicy(req(cell, 'auto', [])), (e: unknown) => e instanceof InfraError && e.code === 'BOOT_TIMEOUT');
    }
    assert.equal(kernelBoots('kvm'), kvmBefore + 2);
    assert.equal(await readKvmVerdict(cacheDir, 'fakearch2'), null);
    assert.ok(events.some((e) => /^f: KVM verdict inconclusive: this kernel printed nothing under TCG either/.test(e)), events.join('\n'));
  });
});
