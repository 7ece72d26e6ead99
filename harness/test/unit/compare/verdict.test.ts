import assert from 'node:assert/strict';
import { combineRepeats, compare, overallVerdict, verdictFor, expectationFor } from '../../../src/compare/verdict.ts';
import { inRange, compareVersions } from '../../../src/compare/version-range.ts';
import type { CellResult, CaseResult } from '../../../src/results/types.ts';

function cell(kernel: string, arch: string, variant: string, cases: Record<string, CaseResult['outcome']>, state: CellResult['state'] = 'ok', version = '6.1.192'): CellResult {
  return {
    schema: 1, id: `${kernel}/${arch}/${variant}`, kernel: { id: kernel, identity: null, version, release: null }, arch,
    variant: { name: variant, patches: [] }, repeat: 1, accel: 'tcg', accelReason: null, qemuVersion: null, state,
    error: state === 'ok' ? null : { kind: 'infra', code: 'X', message: `${state} happened` }, stages: [], build: null, boot: null,
    suites: state === 'ok' ? [{ suite: 's', exitCode: 0, timedOut: false, disconnected: false, durationMs: 1, outputLog: 's.out', ktap: null,
      cases: Object.entries(cases).map(([id, outcome]) => ({ id: `s/${id}`, outcome, metrics: {}, diagnostics: [], ...(outcome === 'skip' ? { reason: 'no soft-dirty' } : {}) })) }] : [],
    console: { log: null, findings: [] }, startedAt: '', finishedAt: '', durationMs: 0,
  };
}

describe('verdictFor', () => {
  const table: [string, string | undefined, string][] = [
    ['fail', 'pass', 'fixed'], ['pass', 'fail', 'regressed'], ['fail', 'fail', 'still-failing'], ['pass', 'pass', 'pass'],
    ['skip', 'skip', 'skip'], ['pass', 'skip', 'skip'], ['infra-error', 'pass', 'infra-error'], ['pass', 'infra-error', 'infra-error'],
    ['error', 'pass', 'fixed'], ['flaky', 'pass', 'flaky'], ['pass', undefined, 'pass'], ['fail', undefined, 'fail'],
    ['missing', undefined, 'infra-error'], ['skip', 'fail', 'regressed'],
  ];
  for (const [b, p, want] of table) {
    it(`base ${b} / patched ${p ?? '-'} -> ${want}`, () => assert.equal(verdictFor(b as never, p as never), want));
  }
  it('never turns an infrastructure failure into a pass', () => {
    for (const other of ['pass', 'fail', 'skip', 'error'] as const) {
      assert.equal(verdictFor('infra-error', other), 'infra-error');
      assert.equal(verdictFor(other, 'infra-error'), 'infra-error');
    }
  });
  it('marks differing repeats flaky and infra in any repeat as infra', () => {
    assert.equal(combineRepeats(['pass', 'fail']), 'flaky');
    assert.equal(combineRepeats(['pass', 'pass']), 'pass');
    assert.equal(combineRepeats(['pass', 'infra-error']), 'infra-error');
  });
});

describe('version ranges', () => {
  it('compares kernel versions numerically', () => {
    assert.ok(compareVersions('6.1.192', '6.3') < 0);
    assert.ok(compareVersions('6.12.117', '6.3') > 0);
    assert.ok(inRange('6.1.192', '>=5.19 <6.3'));
    assert.ok(!inRange('6.3.0', '>=5.19 <6.3'));
    assert.ok(inRange('6.3-rc1', '>= 6.3'));
    assert.ok(!inRange('5.18.19', '>=5.19 <6.3'));
  });
});

describe('compare', () => {
  const cells = [
    cell('6.1', 'x86_64', 'base', { shmem: 'fail', anon: 'pass' }),
    cell('6.1', 'x86_64', 'patched', { shmem: 'pass', anon: 'pass' }),
    cell('6.1', 'x86_64', 'v1', {}, 'patch-failed'),
    cell('6.1', 'arm64', 'base', { shmem: 'skip', anon: 'skip' }),
    cell('6.1', 'arm64', 'patched', { shmem: 'skip', anon: 'skip' }),
    cell('6.12', 'x86_64', 'base', { shmem: 'pass', anon: 'pass' }, 'ok', '6.12.117'),
  ];
  const expectations = [
    { cases: ['s/shmem'], arches: ['x86_64'], versions: '>=5.19 <6.3', variants: ['base'], expect: 'fail' as const },
    { cases: ['s/*'], arches: ['x86_64'], versions: '>=6.3', expect: 'pass' as const },
    { cases: ['s/*'], arches: ['arm64'], expect: 'pass' as const, note: 'deliberately wrong' },
  ];
  const out = compare({ cells, expectations, variants: ['base', 'patched', 'v1'] });

  it('computes per-case verdicts per kernel/arch column', () => {
    const shmem = out.rows.find((r) => r.caseId === 's/shmem');
    assert.equal(shmem?.cells['6.1/x86_64']?.verdict, 'fixed');
    assert.equal(shmem?.cells['6.1/arm64']?.verdict, 'skip');
    assert.equal(shmem?.cells['6.1/arm64']?.reason, 'no soft-dirty');
    assert.equal(shmem?.cells['6.12/x86_64']?.verdict, 'pass');
    assert.equal(out.rows.find((r) => r.caseId === 's/anon')?.cells['6.1/x86_64']?.verdict, 'pass');
  });

  it('reports a variant that did not apply at the column, without per-case verdicts', () => {
    const col = out.columns.find((c) => c.id === '6.1/x86_64');
    assert.deepEqual(col?.variants.map((v) => `${v.variant}:${v.state}`), ['base:ok', 'patched:ok', 'v1:patch-failed']);
  });

  it('marks outcomes against expectations and lists the unexpected ones', () => {
    assert.equal(out.unexpected.length, 4);
    assert.ok(out.unexpected.every((u) => u.includes('6.1/arm64')));
    assert.equal(expectationFor(expectations, { caseId: 's/shmem', kernelId: '6.1', version: '6.1.192', arch: 'x86_64', variant: 'base' })?.expect, 'fail');
  });

  it('validates the patch when something is fixed and nothing regressed or broke', () => {
    const o = overallVerdict(out, cells);
    assert.equal(o.exitCode, 0);
    assert.match(o.line, /^VALIDATED: 1 case\(s\) fixed/);
    assert.match(o.line, /v1 on 6\.1\/x86_64: patch-failed/);
  });

  it('exits 69 when a cell hit an infrastructure error and 1 on regressions', () => {
    const infra = [...cells, cell('6.12', 'arm64', 'base', {}, 'boot-failed')];
    const o = overallVerdict(compare({ cells: infra, expectations: [], variants: ['base', 'patched'] }), infra);
    assert.equal(o.exitCode, 69);
    const reg = [cell('6.1', 'x86_64', 'base', { a: 'pass' }), cell('6.1', 'x86_64', 'patched', { a: 'fail' })];
    assert.equal(overallVerdict(compare({ cells: reg, expectations: [], variants: ['base', 'patched'] }), reg).exitCode, 1);
  });

  it('counts a boot failure as infra-error for every known case, never as pass', () => {
    const c2 = [cell('6.1', 'x86_64', 'base', { a: 'fail' }), cell('6.1', 'x86_64', 'patched', {}, 'boot-failed')];
    const o = compare({ cells: c2, expectations: [], variants: ['base', 'patched'] });
    assert.equal(o.rows[0]?.cells['6.1/x86_64']?.verdict, 'infra-error');
  });
});

describe('compare: variants that never built', () => {
  it('holds no expectations against a variant that did not apply', () => {
    const cells = [cell('6.1', 'x86_64', 'base', { a: 'fail' }), cell('6.1', 'x86_64', 'patched', { a: 'pass' }), cell('6.1', 'x86_64', 'v1', {}, 'patch-failed')];
    const out = compare({ cells, expectations: [{ cases: ['s/a'], variants: ['v1'], expect: 'pass' }], variants: ['base', 'patched', 'v1'] });
    assert.deepEqual(out.unexpected, []);
  });
});
