import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { casesFromOutput, signalOf, uniqueNames } from '../../../src/pipeline/suites.ts';
import { repoRoot } from '../../../src/util/paths.ts';

const KSFT = join(repoRoot, 'harness', 'test', 'fixtures', 'kselftest');
const out = (label: string, stdout: string, exitCode: number | null, more: { stderr?: string; timedOut?: boolean; disconnected?: boolean; signal?: string } = {}) =>
  casesFromOutput({ label, stdout, stderr: more.stderr ?? '', exitCode, timedOut: more.timedOut ?? false, disconnected: more.disconnected, signal: more.signal });
const byId = (r: ReturnType<typeof casesFromOutput>) => Object.fromEntries(r.cases.map((c) => [c.id, `${c.outcome}${c.reason ? `: ${c.reason}` : ''}`]));

describe('casesFromOutput', () => {
  it('adds a passing exit case when the exit status agrees with the results', () => {
    const r = out('t', 'TAP version 13\n1..2\nok 1 a\nnot ok 2 b\n', 1);
    assert.deepEqual(byId(r), { 't/a': 'pass', 't/b': 'fail', 't/exit': 'pass: exit 1, as 1 failing case(s) say' });
  });

  it('fails the exit case when all-ok output is followed by a segfault (exit 139)', () => {
    const r = out('t', 'TAP version 13\n1..1\nok 1 a\n', 139);
    assert.equal(r.signal, 'SIGSEGV');
    assert.equal(byId(r)['t/exit'], 'fail: killed by SIGSEGV (exit 139)');
  });

  it('fails the exit case on a non-zero exit that no failing case explains', () => {
    assert.equal(byId(out('t', 'TAP version 13\n1..1\nok 1 a\n', 1))['t/exit'], 'fail: exit 1, but no case failed');
    assert.equal(byId(out('t', 'TAP version 13\n1..1\nok 1 a\n', 2))['t/exit'], 'fail: exit 2');
  });

  it('turns "Bail out!" before the plan into a failing exit case, not zero cases', () => {
    const r = out('t', 'TAP version 13\nBail out! mmap failed\n', 1);
    assert.deepEqual(byId(r), { 't/exit': 'fail: bailed out: mmap failed (exit 1)' });
  });

  it('says the output stopped short when fewer results came than planned (no crash)', () => {
    const r = out('t', 'TAP version 13\n1..3\nok 1 a\n', 0);
    assert.deepEqual(byId(r), { 't/a': 'pass', 't/exit': 'fail: output ended after 1 of 3 planned results (exit 0)' });
  });

  it('makes "1..0 # SKIP why" one skipped case carrying the reason', () => {
    const r = out('k/soft-dirty', readFileSync(join(KSFT, '6.1-soft-dirty.stdout'), 'utf8'), 4);
    assert.deepEqual(byId(r), { 'k/soft-dirty': 'skip: soft-dirty is not support', 'k/soft-dirty/exit': 'pass: exit 4 (skip)' });
  });

  it('names repeated cases uniquely and stably within a program', () => {
    assert.deepEqual(uniqueNames(['a', 'b', 'a', 'a']), ['a', 'b', 'a [2]', 'a [3]']);
    const r = out('t', 'TAP version 13\n1..3\nok 1 same\nok 2 other\nnot ok 3 same\n', 1);
    assert.deepEqual(Object.keys(byId(r)), ['t/same', 't/other', 't/same [2]', 't/exit']);
    assert.equal(byId(r)['t/same [2]'], 'fail');
  });

  it('gives a program cut short (timeout, lost connection) no exit case: the cell state says what happened', () => {
    const cut = 'TAP version 13\n1..3\nok 1 a\n';
    assert.deepEqual(byId(out('t', cut, null, { timedOut: true })), { 't/a': 'pass' });
    assert.deepEqual(byId(out('t', cut, null, { disconnected: true })), { 't/a': 'pass' });
    assert.deepEqual(out('t', '', null, { disconnected: true }).cases, []);
  });

  it('judges programs without KTAP by their exit code, one exit case', () => {
    assert.deepEqual(byId(out('u', 'nr_pages: 4096\nbounces: 7\n', 0)), { 'u/exit': 'pass: exit 0' });
    assert.deepEqual(byId(out('u', 'x', 4)), { 'u/exit': 'skip: exit 4' });
    assert.deepEqual(byId(out('u', 'x', 1, { stderr: 'ERROR: UFFDIO_API (errno=22)\n' })), { 'u/exit': 'fail: exit 1: ERROR: UFFDIO_API (errno=22)' });
    assert.deepEqual(byId(out('u', '', 0)), { 'u/exit': 'fail: printed nothing (exit 0)' });
    assert.deepEqual(byId(out('u', 'x', null, { signal: 'KILL' })), { 'u/exit': 'fail: killed by SIGKILL' });
  });

  it('passes every recorded kselftest run whose exit code agrees with its output', () => {
    const index = JSON.parse(readFileSync(join(KSFT, 'index.json'), 'utf8')) as { runs: { fixture: string; exitCode: number; format: string }[] };
    for (const run of index.runs) {
      const r = out(run.fixture, readFileSync(join(KSFT, `${run.fixture}.stdout`), 'utf8'), run.exitCode, { stderr: readFileSync(join(KSFT, `${run.fixture}.stderr`), 'utf8') });
      const exit = r.cases.find((c) => c.id === `${run.fixture}/exit`);
      assert.ok(exit, `${run.fixture}: no exit case`);
      const failing = r.cases.some((c) => c.outcome === 'fail' && c !== exit);
      // A recorded run's exit status is consistent with what it printed, so the exit case only fails where the program itself failed.
      if (run.exitCode === 0 || run.exitCode === 4 || failing) assert.equal(exit.outcome, 'pass', `${run.fixture}: ${exit.reason}`);
      const ids = r.cases.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, `${run.fixture}: case ids are unique`);
    }
  });

  it('reads the shell\'s 128+N exit status as a signal', () => {
    assert.equal(signalOf(137), 'SIGKILL');
    assert.equal(signalOf(1), null);
    assert.equal(signalOf(null, 'SEGV'), 'SIGSEGV');
  });
});
