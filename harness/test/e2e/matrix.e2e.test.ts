// The real thing under TCG (KVM where it works): Debian 6.1 built by us for
// x86_64 and arm64, base / patched / v1-as-posted, booted in QEMU, the
// selftest shipped over SSH. Asserts what the guests printed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ciMatrixRun, kvmatrix, CI_CONFIG } from './helpers.ts';
import { cacheDir } from '../../src/util/paths.ts';
import type { CellResult, RunSummary } from '../../src/results/types.ts';
import type { BuildMeta } from '../../src/kbuild/cache.ts';

const SHMEM_CASES = ['shmem_memfd_unregister_softdirty', 'shmem_memfd_unprotect_softdirty', 'shmem_anon_unregister_softdirty', 'shmem_anon_unprotect_softdirty'];
const CONTROLS = ['softdirty_sanity_write_sets_bit', 'softdirty_sanity_clear_without_write', 'anon_private_unregister_softdirty', 'anon_private_unprotect_softdirty', 'uffd_wp_fault_delivered_shmem', 'uffd_wp_fault_delivered_anon', 'anon_private_faults_after_unprotect'];

function cellOf(s: RunSummary, id: string): CellResult {
  const c = s.cells.find((x) => x.id === id);
  assert.ok(c, `cell ${id} missing; have ${s.cells.map((x) => x.id).join(', ')}`);
  return c;
}

function outcome(c: CellResult, name: string): string | undefined {
  return c.suites[0]?.cases.find((x) => x.id === `softdirty-uffdwp/${name}`)?.outcome;
}

describe('end to end: Debian 6.1 base vs patched under QEMU', function () {
  this.timeout(60 * 60_000);
  let run: Awaited<ReturnType<typeof ciMatrixRun>>;
  before(async () => {
    run = await ciMatrixRun();
  });

  it('validates the patch: exit 0, one-line verdict, no unexpected outcome', () => {
    assert.equal(run.result.exitCode, 0, run.result.stderr.slice(-3000));
    assert.equal(run.summary.overall.verdict, 'validated');
    assert.deepEqual(run.summary.overall.unexpected, []);
    assert.match(readFileSync(join(run.runDir, 'matrix.md'), 'utf8').split('\n')[0] ?? '', /VALIDATED/);
  });

  it('reproduces the bug on 6.1 base x86_64: shmem cases fail, controls pass', () => {
    const base = cellOf(run.summary, '6.1/x86_64/base');
    assert.equal(base.state, 'ok');
    for (const c of SHMEM_CASES) assert.equal(outcome(base, c), 'fail', c);
    for (const c of CONTROLS) assert.equal(outcome(base, c), 'pass', c);
  });

  it('passes everything on 6.1 patched x86_64 and reports the shmem cases fixed', () => {
    const patched = cellOf(run.summary, '6.1/x86_64/patched');
    for (const c of [...SHMEM_CASES, ...CONTROLS]) assert.equal(outcome(patched, c), 'pass', c);
    for (const c of SHMEM_CASES) {
      assert.equal(run.summary.matrix.rows.find((r) => r.caseId === `softdirty-uffdwp/${c}`)?.cells['6.1/x86_64']?.verdict, 'fixed');
    }
  });

  it('shows the write-fault improvement the patch claims (faults after unprotect)', () => {
    const m = (id: string) => cellOf(run.summary, id).suites[0]?.cases.find((c) => c.id.endsWith('anon_private_faults_after_unprotect'))?.metrics;
    assert.equal(m('6.1/x86_64/base')?.faults_after_unprotect, 64);
    assert.equal(m('6.1/x86_64/patched')?.faults_after_unprotect, 0);
  });

  it('runs the kernel we built: the guest reports the release of the build', () => {
    const base = cellOf(run.summary, '6.1/x86_64/base');
    // Whatever 6.1.y the mirror offers today: the release the guest runs is the version we unpacked.
    assert.match(base.kernel.release ?? '', /^6\.1\.\d+$/);
    assert.equal(base.kernel.release, base.kernel.version);
    const ktap = base.suites[0]?.ktap;
    const texts = [...(ktap?.diagnostics.map((d) => d.text) ?? []), ...(ktap?.cases.flatMap((c) => c.diagnostics) ?? [])];
    assert.ok(texts.some((t) => t.includes(`kernel=${base.kernel.release}`)), 'selftest banner names the guest kernel');
  });

  it('says plainly that the seed email as posted does not apply', () => {
    for (const arch of ['x86_64', 'arm64']) {
      const v1 = cellOf(run.summary, `6.1/${arch}/v1-as-posted`);
      assert.equal(v1.state, 'patch-failed');
      assert.equal(v1.error?.code, 'PATCH_DOES_NOT_APPLY');
      assert.match(v1.error?.message ?? '', /uffd-wp-softdirty-patch\.eml\.txt does not apply .*corrupt patch at line \d+/);
    }
  });

  it('skips on arm64 with the missing capability as the reason', () => {
    for (const v of ['base', 'patched']) {
      const c = cellOf(run.summary, `6.1/arm64/${v}`);
      assert.equal(c.state, 'ok', c.error?.message);
      assert.equal(c.suites[0]?.exitCode, 4, 'all skipped');
      assert.match(c.suites[0]?.cases.find((x) => x.id.endsWith(SHMEM_CASES[0] as string))?.reason ?? '', /soft-dirty/);
      assert.match(c.suites[0]?.cases.find((x) => x.id.endsWith('uffd_wp_fault_delivered_anon'))?.reason ?? '', /EINVAL|uffd-wp|WP/);
    }
  });

  it('built the patched kernels incrementally from the base build: only the patched file recompiled', async () => {
    // Rebuild base, then patched, in this test: a cached entry's log may come from
    // another history (e.g. a rebuild made while the work tree already held the patch).
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    for (const arch of ['x86_64', 'arm64']) {
      const root = mkdtempSync(join(tmpdir(), 'kvmatrix-incr-'));
      // --jobs 1: cells run in plan order, base first, so patched is built on top of base.
      const r = await kvmatrix(['matrix', '--config', CI_CONFIG, '--kernel', '6.1', '--arch', arch, '--variant', 'base', '--variant', 'patched', '--jobs', '1', '--rebuild', '--out', root]);
      assert.equal(r.exitCode, arch === 'x86_64' ? 0 : 1, `${arch}: exit ${r.exitCode}`);
      const summary = JSON.parse(readFileSync(join(root, 'results.json'), 'utf8')) as RunSummary;
      const cell = cellOf(summary, `6.1/${arch}/patched`);
      assert.equal(cell.build?.cached, false);
      assert.equal(cell.build?.incremental, true);
      const meta = JSON.parse(readFileSync(join(cacheDir(), 'builds', arch, cell.build?.key ?? '?', 'meta.json'), 'utf8')) as BuildMeta;
      assert.ok(meta.compiledObjects.includes('mm/userfaultfd.o'), `${arch}: patched object rebuilt`);
      assert.ok(meta.compiledObjects.length < 20, `${arch}: ${meta.compiledObjects.length} objects recompiled`);
    }
  });

  it('writes all four reports and per-cell logs', () => {
    for (const f of ['results.json', 'matrix.md', 'report.html', 'junit.xml']) assert.ok(existsSync(join(run.runDir, f)), f);
    const junit = readFileSync(join(run.runDir, 'junit.xml'), 'utf8');
    // One testsuite per cell, plus one of per-case verdicts.
    for (const c of run.summary.cells) assert.ok(junit.includes(`<testsuite name="${c.id}"`), `testsuite for ${c.id}`);
    assert.equal((junit.match(/<testsuite /g) ?? []).length, run.summary.cells.length + 1);
    for (const f of ['build.log', 'console.log', 'softdirty-uffdwp.out', 'result.json']) assert.ok(existsSync(join(run.runDir, 'cells', '6.1_x86_64_base', f)), f);
  });

  it('resumes: rerunning the same command keeps the finished cells and runs nothing', async () => {
    const again = await kvmatrix(['matrix', '--config', CI_CONFIG, '--out', run.runDir]);
    assert.equal(again.exitCode, 0);
    assert.match(again.stderr, /resuming run .*: 6 cell\(s\), 0 to run, 6 kept from before/);
  });

  it('3 shards merged give the same cells and verdicts as the single run', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'kvmatrix-shards-'));
    const dirs = [1, 2, 3].map((i) => join(root, `shard-${i}`));
    for (const [i, d] of dirs.entries()) {
      const r = await kvmatrix(['matrix', '--config', CI_CONFIG, '--shard', `${i + 1}/3`, '--out', d]);
      assert.ok([0, 1].includes(r.exitCode ?? -1), `shard ${i + 1}: exit ${r.exitCode}`);
    }
    const merged = await kvmatrix(['merge', ...dirs, '--out', join(root, 'merged')]);
    assert.equal(merged.exitCode, 0, merged.stderr.slice(-2000));
    const m = JSON.parse(readFileSync(join(root, 'merged', 'results.json'), 'utf8')) as RunSummary;
    const essence = (x: RunSummary) => x.cells.map((c) => ({ id: c.id, state: c.state, build: c.build?.key, cases: c.suites.flatMap((su) => su.cases.map((k) => `${k.id}:${k.outcome}`)) }));
    assert.deepEqual(essence(m), essence(run.summary));
    assert.deepEqual(m.matrix.rows, run.summary.matrix.rows);
    assert.equal(m.overall.line, run.summary.overall.line);
  });

  it('merge refuses shards of different configs', async () => {
    const { mkdtempSync, writeFileSync, cpSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'kvmatrix-badmerge-'));
    cpSync(run.runDir, join(root, 'a'), { recursive: true });
    cpSync(run.runDir, join(root, 'b'), { recursive: true });
    const other = JSON.parse(readFileSync(join(root, 'b', 'results.json'), 'utf8')) as RunSummary;
    other.config.sha256 = '0'.repeat(64);
    writeFileSync(join(root, 'b', 'results.json'), JSON.stringify(other));
    const r = await kvmatrix(['merge', join(root, 'a'), join(root, 'b'), '--out', join(root, 'm')]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /MERGE_MISMATCH.*shards of different configs cannot be merged/s);
  });

  it('exec boots a cell and returns what the guest printed and its exit code', async () => {
    const r = await kvmatrix(['exec', '6.1/x86_64/base', '--config', CI_CONFIG, '--', 'sh', '-c', 'uname -r; exit 7']);
    assert.equal(r.exitCode, 7);
    const { summary } = await ciMatrixRun();
    assert.equal(r.stdout.trim(), cellOf(summary, '6.1/x86_64/base').kernel.release, 'the release of the kernel the matrix built');
  });
});
