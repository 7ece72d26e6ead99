// "A KVM that lies" (issue 11), produced without real KVM: a stand-in
// qemu-system-x86_64 first on PATH survives the paused-VM probe and then,
// under -accel kvm, never writes a byte (like a nested host without vmx/svm);
// anything else goes to the real qemu. KVMATRIX_KVM_DEVICE points at a plain
// file, so this runs on hosts with no /dev/kvm at all. Real CLI, real kernel
// (the cached Debian 6.1 x86_64 build), real TCG boots.
//
// The cache is an overlay of the shared one (every entry symlinked) with its
// own host/ dir: the fake verdict must never land where real runs read it.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { cellOf, CLI, faultConfig, runTracked, survivors } from './helpers.ts';
import { run } from '../../src/exec/run.ts';
import { cacheDir, repoRoot } from '../../src/util/paths.ts';
import { getArch } from '../../src/arch/profile.ts';
import { kvmVerdictPath, readKvmVerdict } from '../../src/arch/kvm-verdict.ts';
import type { CellResult } from '../../src/results/types.ts';

const WINDOW_MS = getArch('x86_64').kvmFirstOutputMs;
const WINDOW = `${(WINDOW_MS / 1000).toFixed(0)} s`;
/** Killing the silent qemu and starting the TCG one: generous, the point is "not a second window". */
const SLACK_MS = 5000;

function realQemu(): string {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, 'qemu-system-x86_64');
    if (d && existsSync(p)) return p;
  }
  return '/usr/bin/qemu-system-x86_64';
}

/** The stand-in and the env that puts it first; each call gets its own argv log. */
function lyingKvm(): { env: Record<string, string>; argvLog: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-lying-kvm-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const argvLog = join(dir, 'qemu-argv.log');
  writeFileSync(join(bin, 'qemu-system-x86_64'), [
    '#!/bin/sh',
    '# Stand-in for a KVM that lies: -accel kvm starts and prints nothing until killed.',
    `printf '%s\\n' "$*" >> '${argvLog}'`,
    'case " $* " in',
    '  *" -accel kvm "*|*accel=kvm*) exec sleep 3600 ;;',
    'esac',
    `exec '${realQemu()}' "$@"`,
    '',
  ].join('\n'));
  chmodSync(join(bin, 'qemu-system-x86_64'), 0o755);
  const device = join(dir, 'kvm');
  writeFileSync(device, '');
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  const shared = cacheDir();
  mkdirSync(shared, { recursive: true });
  for (const entry of readdirSync(shared)) if (entry !== 'host') symlinkSync(join(shared, entry), join(cache, entry));
  return { argvLog, cache, env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, KVMATRIX_KVM_DEVICE: device, KVMATRIX_CACHE_DIR: cache } };
}

function qemuCalls(argvLog: string): { kvmBoots: number; kvmProbes: number; tcgBoots: number } {
  const lines = existsSync(argvLog) ? readFileSync(argvLog, 'utf8').split('\n') : [];
  const kvm = lines.filter((l) => l.includes('-accel kvm'));
  return {
    kvmBoots: kvm.filter((l) => l.includes('-kernel')).length,
    kvmProbes: kvm.filter((l) => / -S( |$)/.test(l)).length,
    tcgBoots: lines.filter((l) => l.includes('-accel tcg') && l.includes('-kernel')).length,
  };
}

/** Boot stage time minus the TCG boot's own qemu-to-SSH time: what the KVM attempt (or the wait for it) cost. */
function lostMs(cell: CellResult): number {
  const boot = cell.stages.find((s) => s.stage === 'boot');
  assert.ok(boot && cell.boot, `${cell.id}: no boot record`);
  return boot.durationMs - cell.boot.toSshMs;
}

describe('KVM that lies (stand-in qemu: -accel kvm never prints)', function () {
  this.timeout(20 * 60_000);
  const lying = lyingKvm();
  const twoCells = faultConfig({
    kernels: [{ id: 'first', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }, { id: 'second', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }],
    suites: [{ name: 'quick', script: 'quick-ok.sh' }],
  });

  it('--accel auto: one cell pays the window once and falls back, the concurrent one waits for it; both ok under TCG', async () => {
    const r = await runTracked(['matrix', '--config', twoCells.file, '--accel', 'auto', '--jobs', '2'], { env: lying.env });
    assert.equal(r.result.exitCode, 1, `base only, all ok: nothing fixed, exit 1\n${r.output.slice(-2000)}`);
    const cells = ['first', 'second'].map((k) => cellOf(r.summary(), `${k}/x86_64/base`));
    for (const c of cells) {
      assert.equal(c.state, 'ok', `${c.id}: ${c.error?.message}`);
      assert.equal(c.accel, 'tcg');
    }
    const fellBack = cells.filter((c) => /^fell back to TCG/.test(c.accelReason ?? ''));
    assert.equal(fellBack.length, 1, cells.map((c) => c.accelReason).join('\n'));
    const trial = fellBack[0]!;
    const waiter = cells.find((c) => c !== trial)!;
    assert.match(trial.accelReason ?? '', new RegExp(`^fell back to TCG after (\\d+\\.\\d) s under KVM: KVM unusable: no console output within ${WINDOW} under -accel kvm \\(.+\\)$`));
    assert.match(waiter.accelReason ?? '', new RegExp(`^KVM unusable: no console output within ${WINDOW} under -accel kvm \\(.+\\) \\(found by ${trial.id.replace(/\//g, '\\/')} in this run\\)$`));

    // The stand-in really saw KVM: the probe, then exactly one KVM boot for the whole run.
    assert.deepEqual(qemuCalls(lying.argvLog), { kvmProbes: 1, kvmBoots: 1, tcgBoots: 2 });

    // What the lie cost, from the records: the window once, not per cell.
    const cost = Number(/after (\d+\.\d) s/.exec(trial.accelReason ?? '')?.[1]) * 1000;
    assert.ok(cost >= WINDOW_MS && cost < WINDOW_MS + SLACK_MS, `reason says ${cost} ms`);
    assert.ok(lostMs(trial) >= WINDOW_MS && lostMs(trial) < WINDOW_MS + SLACK_MS, `trial cell lost ${lostMs(trial)} ms`);
    assert.ok(lostMs(waiter) < WINDOW_MS + SLACK_MS, `waiting cell lost ${lostMs(waiter)} ms`);
    const trialDir = join(r.runDir, 'cells', trial.id.replace(/\//g, '_'));
    assert.match(readFileSync(join(trialDir, 'console.kvm-silent.log'), 'utf8'), /-accel kvm/);
    assert.deepEqual(survivors(r.groups), []);

    const verdict = await readKvmVerdict(lying.cache, 'x86_64');
    assert.equal(verdict?.usable, false);
    assert.equal(verdict?.cell, trial.id);
    assert.match(verdict?.reason ?? '', /no console output within .*; the same kernel printed under TCG$/);
    assert.notEqual((await readKvmVerdict(cacheDir(), 'x86_64'))?.host.kvmDevice, lying.env.KVMATRIX_KVM_DEVICE, 'the shared cache never gets the stand-in\'s verdict');
    assert.equal(kvmVerdictPath(lying.cache, 'x86_64'), join(lying.cache, 'host', 'kvm-x86_64.json'));

    // doctor reads the real-boot record.
    const doctor = await run(process.execPath, [CLI, 'doctor'], { cwd: repoRoot, env: lying.env, timeoutMs: 5 * 60_000 });
    const text = doctor.stdout + doctor.stderr;
    assert.match(text, /paused-VM probe: passes: .* read-write, qemu starts a paused KVM vCPU/);
    assert.match(text, /last real boot:\s+KVM UNUSABLE: KVM unusable: no console output within/);
    assert.match(text, /auto uses:\s+tcg straight away \(no KVM trial: the last real boot failed on this host kernel and qemu/);
  });

  it('--accel auto in a later run: the record skips KVM at once (no probe, no trial, no window)', async () => {
    const before = qemuCalls(lying.argvLog);
    const { file } = faultConfig({ suites: [{ name: 'quick', script: 'quick-ok.sh' }] });
    const r = await runTracked(['matrix', '--config', file, '--accel', 'auto'], { env: lying.env });
    const cell = cellOf(r.summary(), '6.1/x86_64/base');
    assert.equal(cell.state, 'ok', cell.error?.message);
    assert.equal(cell.accel, 'tcg');
    assert.match(cell.accelReason ?? '', /^KVM skipped: the last real boot on this host failed \(.*\): KVM unusable: no console output/);
    const after = qemuCalls(lying.argvLog);
    assert.deepEqual({ kvmBoots: after.kvmBoots, kvmProbes: after.kvmProbes }, { kvmBoots: before.kvmBoots, kvmProbes: before.kvmProbes });
    assert.ok(lostMs(cell) < SLACK_MS, `lost ${lostMs(cell)} ms`);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('--accel kvm: fails loudly with the reason (exit 69), no TCG fallback, the retry does not pay the window again', async () => {
    const before = qemuCalls(lying.argvLog);
    const { file } = faultConfig({ suites: [{ name: 'quick', script: 'quick-ok.sh' }] });
    const r = await runTracked(['matrix', '--config', file, '--accel', 'kvm'], { env: lying.env });
    assert.equal(r.result.exitCode, 69);
    const cell = cellOf(r.summary(), '6.1/x86_64/base');
    assert.equal(cell.state, 'infra-error');
    assert.equal(cell.accel, 'kvm');
    assert.match(cell.error?.code ?? '', /^KVM_(SILENT|UNUSABLE)$/);
    assert.match(cell.error?.message ?? '', new RegExp(`^--accel kvm requested for x86_64 but .*no console output within ${WINDOW} under -accel kvm`));
    const after = qemuCalls(lying.argvLog);
    assert.equal(after.kvmBoots - before.kvmBoots, 1, 'one KVM boot (the record does not stop an explicit --accel kvm)');
    assert.equal(after.tcgBoots, before.tcgBoots, 'no fallback');
    const boots = cell.stages.filter((s) => s.stage === 'boot');
    assert.equal(boots.length, 2, 'the infrastructure retry happens...');
    assert.ok((boots[1]?.durationMs ?? Infinity) < 1000, `...and fails at once (${boots[1]?.durationMs} ms)`);
    assert.deepEqual(survivors(r.groups), []);
  });
});
