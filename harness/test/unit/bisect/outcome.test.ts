// A step's record to good / bad / skip: only the case's own pass or fail is
// an answer; everything else is a skip with the reason, never a guess.
import assert from 'node:assert/strict';
import type { CaseOutcome, CellResult, CellState } from '../../../src/results/types.ts';
import { stepOutcome, termWord } from '../../../src/bisect/outcome.ts';
import { termsFor } from '../../../src/bisect/record.ts';

const CASE = 'softdirty-uffdwp/shmem_memfd_unprotect_softdirty';

function cell(state: CellState, outcome?: CaseOutcome, extra: Partial<CellResult> = {}): CellResult {
  const cases = outcome ? [{ id: CASE, outcome, reason: outcome === 'fail' ? 'soft-dirty bit lost' : undefined, metrics: {}, diagnostics: [] }] : [];
  return {
    schema: 2, id: 'abc/x86_64/base', kernel: { id: 'abc', identity: null, version: '6.1.176', release: null }, arch: 'x86_64',
    variant: { name: 'base', patches: [] }, repeat: 1, accel: 'tcg', accelReason: null, qemuVersion: null, state,
    error: state === 'ok' ? null : { kind: state === 'infra-error' ? 'infra' : 'user', code: state === 'build-failed' ? 'BUILD_FAILED' : 'X', message: `${state} happened` },
    stages: [], build: null, boot: null,
    suites: outcome ? [{ suite: 'softdirty-uffdwp', exitCode: 1, timedOut: false, disconnected: false, durationMs: 1, outputLog: 'x.out', ktap: null, cases }] : [],
    programs: [{ label: 'softdirty-uffdwp', status: 'ready' }], console: { log: null, findings: [] }, startedAt: '', finishedAt: '', durationMs: 0, ...extra,
  };
}

describe('bisect/outcome', () => {
  const regression = termsFor(false);
  const fixed = termsFor(true);

  it('maps pass and fail by the terms: a regression hunt and a fix hunt', () => {
    assert.equal(stepOutcome(cell('ok', 'pass'), CASE, regression).term, 'old');
    assert.equal(stepOutcome(cell('ok', 'fail'), CASE, regression).term, 'new');
    assert.equal(stepOutcome(cell('ok', 'pass'), CASE, fixed).term, 'new');
    assert.equal(stepOutcome(cell('ok', 'fail'), CASE, fixed).term, 'old');
    assert.equal(termWord('new', fixed), 'fixed');
    assert.equal(termWord('old', regression), 'good');
    assert.equal(termWord('skip', regression), 'skip');
  });

  it('keeps the case\'s reason as the evidence', () => {
    const o = stepOutcome(cell('ok', 'fail'), CASE, fixed);
    assert.deepEqual(o.evidence, { cellState: 'ok', error: null, caseOutcome: 'fail', reason: 'fail: soft-dirty bit lost' });
  });

  for (const state of ['build-failed', 'patch-failed', 'infra-error', 'crashed', 'boot-failed', 'timeout'] as const) {
    it(`skips a step that ended ${state}, saying why`, () => {
      const o = stepOutcome(cell(state), CASE, regression);
      assert.equal(o.term, 'skip');
      assert.equal(o.evidence.cellState, state);
      assert.match(o.evidence.reason, /\[[A-Z_]+\]$/);
    });
  }

  it('still takes a case that answered before its suite timed out', () => {
    assert.equal(stepOutcome(cell('timeout', 'fail'), CASE, regression).term, 'new');
    assert.equal(stepOutcome(cell('crashed', 'error'), CASE, regression).term, 'skip');
  });

  it('skips a case that skipped, errored or was never reported, and a suite that did not build', () => {
    assert.match(stepOutcome(cell('ok', 'skip'), CASE, regression).evidence.reason, /the case skipped/);
    assert.equal(stepOutcome(cell('ok', 'error'), CASE, regression).term, 'skip');
    assert.match(stepOutcome(cell('ok'), CASE, regression).evidence.reason, /was not reported/);
    const notBuilt = cell('ok', undefined, { programs: [{ label: 'softdirty-uffdwp', status: 'not-built', error: { kind: 'user', code: 'SELFTEST_BUILD_FAILED', message: 'does not compile\nmore' } }] });
    assert.deepEqual(stepOutcome(notBuilt, CASE, regression), {
      term: 'skip', evidence: { cellState: 'ok', error: null, caseOutcome: null, reason: 'softdirty-uffdwp not-built: [SELFTEST_BUILD_FAILED] does not compile' },
    });
  });
});
