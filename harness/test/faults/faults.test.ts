// Every way a kernel test run goes wrong, produced for real: a real kernel
// (the cached Debian 6.1 x86_64 build), real qemu, real dropbear. Each test
// asserts the cell state, the message, and that no process the CLI started is
// left (by process group).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_VARIANTS, cellOf, faultConfig, runTracked, survivors, verdictOf } from './helpers.ts';
import { repoRoot } from '../../src/util/paths.ts';

const base = (kernel = '6.1') => `${kernel}/x86_64/base`;

describe('fault injection (real kernel, real qemu, real sshd)', function () {
  this.timeout(20 * 60_000);

  it('warms the cache: the Debian 6.1 x86_64 build used by every fault test', async () => {
    const { file } = faultConfig({ suites: [{ name: 'quick', script: 'quick-ok.sh' }] });
    const r = await runTracked(['matrix', '--config', file]);
    assert.equal(cellOf(r.summary(), base()).state, 'ok', r.output.slice(-2000));
    assert.deepEqual(survivors(r.groups), []);
  });

  it('1. kernel panic at boot: boot-failed with the panic line, long before the boot timeout; the base kernel\'s own answer (crashed, exit 1)', async () => {
    const { file } = faultConfig({ suites: [{ name: 'quick', script: 'quick-ok.sh' }], bootMs: 120_000 });
    const r = await runTracked(['matrix', '--config', file, '--kernel-cmdline', 'rdinit=/does-not-exist']);
    const cell = cellOf(r.summary(), base());
    assert.equal(cell.state, 'boot-failed');
    assert.equal(cell.error?.code, 'BOOT_PANIC');
    assert.match(cell.error?.message ?? '', /boot-failed: kernel panic: Kernel panic - not syncing/);
    assert.match(cell.error?.logTail ?? '', /Kernel panic/);
    const boot = cell.stages.find((s) => s.stage === 'boot');
    assert.ok(boot && boot.durationMs < 30_000, `boot stage took ${boot?.durationMs} ms`);
    assert.ok(cell.console.findings.some((f) => f.kind === 'panic'));
    // Not infrastructure: the kernel under test did it. Its planned program has a row that says so.
    assert.equal(verdictOf(r.summary(), 'quick/exit'), 'crashed');
    assert.equal(r.result.exitCode, 1, r.summary().overall.line);
    assert.match(r.summary().overall.line, /^NOT VALIDATED: base on 6\.1\/x86_64: boot-failed/);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('1b. a patched kernel that panics at boot while base boots: regressed, exit 1', async () => {
    const { file } = faultConfig({ suites: [{ name: 'quick', script: 'quick-ok.sh' }], variants: ['base', FAULT_VARIANTS.bootPanic] });
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    assert.equal(cellOf(s, base()).state, 'ok');
    const cell = cellOf(s, '6.1/x86_64/boot-panic');
    assert.equal(cell.state, 'boot-failed');
    assert.equal(cell.error?.code, 'BOOT_PANIC');
    assert.match(cell.error?.message ?? '', /kvmatrix fault injection: this patched kernel panics before init/);
    assert.equal(verdictOf(s, 'quick/exit'), 'regressed');
    assert.equal(verdictOf(s, 'console/findings'), 'regressed', 'the panic is a console finding base does not have');
    assert.equal(r.result.exitCode, 1);
    assert.match(s.overall.line, /^NOT VALIDATED: \d+ regression\(s\)/);
    assert.equal(cell.stages.filter((x) => x.stage === 'boot').length, 1, 'a kernel panic is an answer: never retried');
    assert.deepEqual(survivors(r.groups), []);
  });

  it('2. WARN and oops during the selftest: results kept, findings attached to the cell', async () => {
    const { file } = faultConfig({ suites: [{ name: 'warn', script: 'warn-then-continue.sh' }, { name: 'oops', script: 'oops.sh' }] });
    const r = await runTracked(['matrix', '--config', file]);
    const cell = cellOf(r.summary(), base());
    assert.equal(cell.state, 'ok', cell.error?.message);
    assert.deepEqual(cell.suites.map((s) => s.cases.map((c) => `${c.id}:${c.outcome}`)).flat(),
      ['warn/before_warn:pass', 'warn/after_warn:pass', 'warn/exit:pass', 'oops/before_oops:pass', 'oops/after_oops_in_child:pass', 'oops/still_alive:pass', 'oops/exit:pass']);
    const kinds = cell.console.findings.map((f) => f.kind);
    assert.ok(kinds.includes('warning'), `findings: ${kinds.join(', ')}`);
    assert.ok(kinds.includes('oops') || kinds.includes('bug'), `findings: ${kinds.join(', ')}`);
    assert.ok(cell.console.findings.some((f) => /lkdtm/i.test(f.excerpt.join('\n'))));
    const md = readFileSync(join(r.runDir, 'matrix.md'), 'utf8');
    assert.match(md, /warning/i);
    // Findings on a kernel with nothing to compare against fail its console row: they are never silent.
    assert.equal(verdictOf(r.summary(), 'console/findings'), 'fail');
    assert.equal(r.result.exitCode, 1);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('2b. kernel panic while the variant\'s selftest runs: crashed, cases kept, the unreached ones regressed (exit 1, not infra)', async () => {
    const { file } = faultConfig({ suites: [{ name: 'panic', script: 'panic.sh' }, { name: 'quick', script: 'quick-ok.sh' }], variants: ['base', FAULT_VARIANTS.fault] });
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    assert.equal(cellOf(s, base()).state, 'ok');
    const cell = cellOf(s, '6.1/x86_64/fault');
    assert.equal(cell.state, 'crashed');
    assert.equal(cell.error?.code, 'KERNEL_PANIC');
    assert.match(cell.kernel.release ?? '', /-fault$/);
    const cases = cell.suites[0]?.cases ?? [];
    assert.equal(cases.find((c) => c.id === 'panic/before_panic')?.outcome, 'pass');
    assert.ok(cell.console.findings.some((f) => f.kind === 'panic'));
    assert.equal(cell.stages.filter((x) => x.stage === 'boot').length, 1, 'a kernel panic is an answer: never retried');
    // The comparison: reached cases stand, unreached ones and the program after it are the variant's failure.
    assert.equal(verdictOf(s, 'panic/before_panic'), 'pass');
    assert.equal(verdictOf(s, 'panic/after_panic'), 'regressed');
    assert.equal(verdictOf(s, 'panic/after_panic_too'), 'regressed');
    assert.equal(verdictOf(s, 'quick/exit'), 'regressed', 'a program the crash kept from running is not silently missing');
    assert.equal(s.matrix.rows.find((x) => x.caseId === 'panic/after_panic')?.cells['6.1/x86_64']?.outcomes.fault, 'crashed');
    assert.equal(r.result.exitCode, 1, s.overall.line);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('2c. a base-only column whose kernel panics before the first result: every planned program is reported crashed, not hidden', async () => {
    const { file } = faultConfig({ suites: [{ name: 'first', script: 'panic-at-once.sh' }, { name: 'quick', script: 'quick-ok.sh' }] });
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    assert.equal(cellOf(s, base()).state, 'crashed');
    assert.equal(verdictOf(s, 'first/exit'), 'crashed');
    assert.equal(verdictOf(s, 'quick/exit'), 'crashed');
    assert.equal(r.result.exitCode, 1);
    assert.ok(s.overall.blockers.some((b) => /2 crashed: first\/exit on 6\.1\/x86_64, quick\/exit on 6\.1\/x86_64/.test(b)), s.overall.blockers.join('\n'));
    assert.deepEqual(survivors(r.groups), []);
  });

  it('3. the variant\'s kernel hangs a suite: killed at the suite timeout, timeout with the console tail, regressed (exit 1)', async () => {
    const { file } = faultConfig({ suites: [{ name: 'hang', script: 'hang.sh', timeoutMs: 5000 }], variants: ['base', FAULT_VARIANTS.fault] });
    const started = Date.now();
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    const cell = cellOf(s, '6.1/x86_64/fault');
    assert.equal(cell.state, 'timeout');
    assert.equal(cell.error?.code, 'SUITE_TIMEOUT');
    assert.match(cell.error?.message ?? '', /did not finish within 5 s/);
    assert.match(cell.error?.logTail ?? '', /sshd started/);
    assert.ok(Date.now() - started < 300_000);
    assert.equal(verdictOf(s, 'hang/before_hang'), 'pass');
    assert.equal(verdictOf(s, 'hang/after_hang'), 'regressed');
    assert.equal(r.result.exitCode, 1, s.overall.line);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('3b. a suite that does not build is that suite\'s result; the other suites of the cell still run', async () => {
    const { file } = faultConfig({ suites: [{ name: 'broken', kind: 'c-source', source: 'does-not-compile.c' }, { name: 'quick', script: 'quick-ok.sh' }] });
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    const cell = cellOf(s, base());
    assert.equal(cell.state, 'ok', cell.error?.message);
    assert.deepEqual(cell.programs?.map((p) => `${p.label}:${p.status}`), ['broken:not-built', 'quick:ready']);
    assert.equal(cell.programs?.[0]?.error?.code, 'SELFTEST_BUILD_FAILED');
    assert.equal(verdictOf(s, 'broken/exit'), 'fail');
    assert.match(s.matrix.rows.find((x) => x.caseId === 'broken/exit')?.cells['6.1/x86_64']?.reason ?? '', /broken not built/);
    assert.equal(verdictOf(s, 'quick/exit'), 'pass');
    assert.match(readFileSync(join(r.runDir, 'cells', '6.1_x86_64_base', 'selftest-build.log'), 'utf8'), /kvmatrix fault test: this selftest does not compile/);
    assert.equal(r.result.exitCode, 1);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('4. sshd killed inside the guest: infrastructure error after one documented retry', async () => {
    const { file } = faultConfig({ suites: [{ name: 'killsshd', script: 'kill-sshd.sh', timeoutMs: 30_000 }] });
    const r = await runTracked(['matrix', '--config', file]);
    const cell = cellOf(r.summary(), base());
    assert.equal(cell.state, 'infra-error');
    assert.equal(cell.error?.code, 'SSH_LOST');
    assert.match(cell.error?.message ?? '', /qemu still running: sshd died\?/);
    assert.equal(cell.stages.filter((s) => s.stage === 'boot').length, 2, 'retried once');
    assert.ok(existsSync(join(r.runDir, 'cells', '6.1_x86_64_base', 'console.attempt2.log')));
    assert.equal(r.result.exitCode, 69);
    assert.deepEqual(survivors(r.groups), []);
  });

  it('5. qemu killed from outside: infrastructure error, no orphan, the rest of the matrix continues', async () => {
    const { file } = faultConfig({
      kernels: [{ id: 'victim', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }, { id: 'other', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }],
      suites: [{ name: 'slow', script: 'slow-ok.sh', args: ['12'], timeoutMs: 60_000 }],
    });
    let killed = 0;
    const firstSeen = new Map<number, number>();
    const r = await runTracked(['matrix', '--config', file, '--jobs', '1'], {
      during: (_out, _pid, groups) => {
        // Kill each qemu of the first cell (both attempts) 6 s after it appears.
        if (killed >= 2) return;
        for (const [pgid, cmd] of groups) {
          if (!cmd.startsWith('qemu-system')) continue;
          if (!firstSeen.has(pgid)) firstSeen.set(pgid, Date.now());
          if (Date.now() - (firstSeen.get(pgid) ?? 0) > 6000 && killed < 2) {
            try { process.kill(-pgid, 'SIGKILL'); killed++; firstSeen.set(pgid, Infinity); } catch { /* gone */ }
          }
        }
      },
    });
    assert.equal(killed, 2);
    const s = r.summary();
    const victim = cellOf(s, 'victim/x86_64/base');
    assert.equal(victim.state, 'infra-error');
    assert.equal(victim.error?.code, 'SSH_LOST');
    assert.match(victim.error?.message ?? '', /qemu exited/);
    assert.equal(cellOf(s, 'other/x86_64/base').state, 'ok');
    assert.equal(r.result.exitCode, 69);
    assert.deepEqual(survivors(r.groups), []);
  });

  for (const [signal, phase, marker, extra] of [
    // --rebuild makes the build stage run make (a no-op rebuild still takes seconds).
    ['SIGINT', 'build', /\[6\.1\/x86_64\/base build\] start/, ['--rebuild']],
    ['SIGINT', 'boot', /\[6\.1\/x86_64\/base boot\] start/, []],
    ['SIGTERM', 'test', /\[6\.1\/x86_64\/base run\] start/, []],
  ] as const) {
    it(`6. ${signal} during ${phase}: every child group ends, finished cells stay, the next run resumes`, async () => {
      const { file } = faultConfig({
        kernels: [{ id: 'first', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }, { id: '6.1', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }],
        suites: [{ name: 'slow', script: 'slow-ok.sh', args: ['3'], timeoutMs: 60_000 }],
      });
      let sent = false;
      const r = await runTracked(['matrix', '--config', file, '--jobs', '1', ...extra], {
        during: (out, pid) => {
          if (!sent && marker.test(out)) {
            sent = true;
            setTimeout(() => process.kill(pid, signal), phase === 'boot' ? 200 : 1500);
          }
        },
      });
      assert.ok(sent);
      assert.equal(r.result.exitCode, signal === 'SIGINT' ? 130 : 143);
      assert.deepEqual(survivors(r.groups), []);
      assert.ok(existsSync(join(r.runDir, 'cells', 'first_x86_64_base', 'result.json')), 'finished cell kept');
      const again = await runTracked(['matrix', '--config', file, '--jobs', '1'], { outDir: r.runDir });
      assert.match(again.output, /resuming run .*2 cell\(s\), 1 to run, 1 kept from before/);
      assert.equal(again.result.exitCode, 1, 'no patched variant: nothing fixed, exit 1');
      assert.deepEqual(again.summary().cells.map((c) => `${c.id}:${c.state}`), ['first/x86_64/base:ok', '6.1/x86_64/base:ok']);
    });
  }

  it('9. a selftest that prints nothing fails, it never passes', async () => {
    const { file } = faultConfig({ suites: [{ name: 'silent', script: 'silent.sh' }] });
    const r = await runTracked(['matrix', '--config', file]);
    const c = cellOf(r.summary(), base()).suites[0]?.cases[0];
    assert.equal(c?.outcome, 'fail');
    assert.match(c?.reason ?? '', /printed nothing \(exit 0\)/);
    assert.equal(verdictOf(r.summary(), 'silent/exit'), 'fail');
    assert.equal(r.result.exitCode, 1);
  });

  it('10. a kernel id with spaces and ";" is data, never a shell string; two runs at once do not collide', async () => {
    // A '/' cannot be in a kernel id (it separates cell id parts): the file lands in the cwd if a shell ever runs it.
    const marker = 'kvmatrix-pwned';
    const { file } = faultConfig({
      kernels: [{ id: `my kernel; touch ${marker}`, source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }],
      suites: [{ name: 'quick', script: 'quick-ok.sh' }],
    });
    const [a, b] = await Promise.all([runTracked(['matrix', '--config', file]), runTracked(['matrix', '--config', file])]);
    for (const r of [a, b]) assert.equal(cellOf(r.summary(), `my kernel; touch ${marker}/x86_64/base`).state, 'ok', r.output.slice(-1500));
    assert.equal(existsSync(join(repoRoot, marker)), false);
    assert.equal(existsSync(join(r0(), marker)), false);
    assert.deepEqual([...survivors(a.groups), ...survivors(b.groups)], []);
  });
});

function r0(): string {
  return process.env.TMPDIR ?? '/tmp';
}
