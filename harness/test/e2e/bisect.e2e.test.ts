// `kvmatrix bisect --fixed` for real, without a network: a git history made
// from the Debian 6.1 tree in the cache (32 commits on top of it: harmless
// notes, our 6.1 backport planted at commit 21, a build break at 24 mended
// at 25), bisected with real incremental builds, QEMU boots and the selftest.
// It must name the planted commit in at most ceil(log2 32) + 1 = 6 steps and
// step around the broken commit with a skip. Then Ctrl-C in the middle of a
// rebuilding bisection, and the same command again: it resumes from the
// recorded steps, with the work tree and cache still usable.
//
// Cold (no synthetic repository, no bisect work tree): about a minute to make
// the history, half a minute for the first checkout, a cold kernel build for
// the first step; warm, every step is an incremental build (or a cache hit).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnLongLived } from '../../src/exec/run.ts';
import { loadMatrixConfig } from '../../src/plan/config.ts';
import { loadPatchFiles } from '../../src/patch/series.ts';
import { cacheDir } from '../../src/util/paths.ts';
import { silentReporter } from '../../src/progress.ts';
import { standardSyntheticHistory, type SyntheticHistory } from '../../src/bisect/synthetic-history.ts';
import { expectedSteps } from '../../src/bisect/git-output.ts';
import type { BisectRecord } from '../../src/bisect/record.ts';
import { CI_CONFIG, CLI, kvmatrix } from './helpers.ts';

const CASE = 'softdirty-uffdwp/shmem_memfd_unprotect_softdirty';
const SUBJECT = 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()';

/** The standard history (bisect/synthetic-history.ts): made once, then reused from the cache. */
async function debianSyntheticHistory(): Promise<SyntheticHistory> {
  const cfg = loadMatrixConfig(CI_CONFIG);
  const kernel = cfg.kernels.find((k) => k.id === '6.1');
  assert.ok(kernel, 'configs/matrix.ci.yaml has the 6.1 kernel');
  const series = await loadPatchFiles(['patches/uffd-wp-softdirty-6.1'], cfg.baseDir);
  return standardSyntheticHistory({ cacheDir: cacheDir(), report: silentReporter }, kernel, series, mkdtempSync(join(tmpdir(), 'kvmatrix-history-')));
}

function bisectArgs(history: SyntheticHistory, out: string, extra: string[] = []): string[] {
  return ['bisect', '--config', CI_CONFIG, '--case', CASE, '--fixed', '--bad', 'synthetic-root', '--good', 'main', '--source', history.repo, '--arch', 'x86_64', '--out', out, ...extra];
}

const readRecord = (dir: string) => JSON.parse(readFileSync(join(dir, 'bisect.json'), 'utf8')) as BisectRecord;

describe('end to end: bisect --fixed on a synthetic Debian 6.1 history', function () {
  this.timeout(60 * 60_000);
  let history: SyntheticHistory;
  before(async () => {
    const t = Date.now();
    history = await debianSyntheticHistory();
    process.stderr.write(`synthetic history ${history.repo}: ${history.madeMs > 0 ? `made in ${(history.madeMs / 1000).toFixed(1)} s` : 'reused from the cache'} (${((Date.now() - t) / 1000).toFixed(1)} s with the source stage)\n`);
  });

  it('names the planted backport in at most ceil(log2 N) + 1 steps, skipping the commit that does not build', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kvmatrix-bisect-e2e-'));
    const r = await kvmatrix(bisectArgs(history, out));
    assert.equal(r.exitCode, 0, r.stderr.slice(-3000));
    const record = readRecord(out);
    assert.deepEqual(record.answer, { status: 'found', commit: history.planted, subject: SUBJECT });
    assert.equal(record.range.candidates, 32);
    assert.ok(record.steps.length <= expectedSteps(32) + 1, `${record.steps.length} steps`);
    const skipped = record.steps.filter((s) => s.term === 'skip');
    assert.deepEqual(skipped.map((s) => [s.commit, s.evidence.cellState, s.evidence.error?.code]), [[history.broken, 'build-failed', 'BUILD_FAILED']]);
    for (const s of record.steps.filter((x) => x.term !== 'skip')) {
      assert.equal(s.evidence.caseOutcome, s.said === 'fixed' ? 'pass' : 'fail');
      for (const log of [s.evidence.logs.console, s.evidence.logs.output]) assert.ok(log && existsSync(join(out, log)), `${log} of step ${s.n}`);
    }
    const md = readFileSync(join(out, 'bisect.md'), 'utf8');
    assert.ok(md.includes(`**First fixed commit: ${history.planted.slice(0, 12)} ("${SUBJECT}")**`), md);
    assert.ok(r.stdout.includes(`commit ${history.planted} upstream.`));
  });

  it('resumes after Ctrl-C in the middle of a build, with the work tree and cache still usable', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kvmatrix-bisect-e2e-'));
    const args = bisectArgs(history, out, ['--rebuild']);
    let stderr = '';
    const child = spawnLongLived(process.execPath, [CLI, ...args], { onOutput: (s) => { stderr += s; process.stderr.write(s); } });
    try {
      // Interrupt once two steps are recorded and the third one's build is running.
      const deadline = Date.now() + 30 * 60_000;
      while (Date.now() < deadline && child.isRunning()) {
        const steps = existsSync(join(out, 'bisect.json')) ? readRecord(out).steps.length : 0;
        if (steps >= 2 && /\[step3-\S+ build\] start/.test(stderr)) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      // Into the middle of make (an incremental build here takes 5-20 s).
      await new Promise((res) => setTimeout(res, 2000));
      assert.ok(child.isRunning(), 'the bisection ended before it could be interrupted');
      process.kill(-child.pid, 'SIGINT');
      const ended = await child.exited;
      assert.equal(ended.exitCode, 130);
    } finally {
      await child.stop();
    }
    const interrupted = readRecord(out);
    assert.equal(interrupted.answer.status, 'running');
    assert.equal(interrupted.steps.length, 2);
    const r = await kvmatrix(args);
    assert.equal(r.exitCode, 0, r.stderr.slice(-3000));
    assert.match(r.stderr, /resuming bisection .*2 step\(s\) kept/);
    const record = readRecord(out);
    assert.deepEqual(record.steps.slice(0, 2), interrupted.steps);
    assert.equal(record.answer.status === 'found' && record.answer.commit, history.planted);
  });
});
