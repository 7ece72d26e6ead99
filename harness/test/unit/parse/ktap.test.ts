// Edge cases of the KTAP parser that the recorded fixtures do not pin down.
import assert from 'node:assert/strict';
import { parseKtap, summarizeKtap, type KtapCase, type KtapDocument } from '../../../src/parse/ktap.ts';

const ktap = (...lines: string[]): KtapDocument => parseKtap(`${lines.join('\n')}\n`);
const only = (doc: KtapDocument): KtapCase => {
  assert.equal(doc.cases.length, 1);
  const c = doc.cases[0];
  assert.ok(c);
  return c;
};
const messages = (doc: KtapDocument): string[] => doc.problems.map((p) => p.message);

describe('parseKtap', () => {
  describe('headers and plans', () => {
    it('accepts both KTAP and TAP headers', () => {
      assert.equal(ktap('KTAP version 1', '1..0').version, 'KTAP version 1');
      assert.equal(ktap('TAP version 13', '1..0').version, 'TAP version 13');
    });

    it('treats "1..0 # SKIP why" as a complete run of nothing, keeping the reason', () => {
      const doc = ktap('TAP version 13', '1..0 # SKIP soft-dirty not supported');
      assert.deepEqual(doc.plan, { start: 1, end: 0, skip: 'soft-dirty not supported' });
      assert.deepEqual(ktap('TAP version 13', '1..0 # nothing to do').plan, { start: 1, end: 0 });
      assert.deepEqual(doc.cases, []);
      assert.equal(doc.complete, true);
      assert.deepEqual(doc.problems, []);
    });

    it('still reads results when the header is missing, but marks the document incomplete', () => {
      const doc = ktap('1..1', 'ok 1 anon');
      assert.equal(doc.version, null);
      assert.equal(doc.cases[0]?.status, 'pass');
      assert.equal(doc.complete, false);
      assert.deepEqual(doc.problems, [{ line: 0, message: 'no "KTAP version 1" or "TAP version 13" header' }]);
    });

    it('is incomplete with a header and nothing else', () => {
      const doc = ktap('TAP version 13');
      assert.equal(doc.complete, false);
      assert.deepEqual(messages(doc), ['no plan ("1..N") line']);
    });

    it('counts every line before the header as preamble, including blank ones', () => {
      assert.equal(ktap('$ ./run', '', 'ok 1 not yet', 'TAP version 13', '1..0').preamble, 3);
    });

    it('does not allocate a case per number for an absurd plan', () => {
      const doc = ktap('TAP version 13', '1..4294967295', 'ok 1 a');
      assert.equal(doc.cases.length, 1);
      assert.equal(doc.complete, false);
      assert.match(messages(doc).join('\n'), /missing more than 10000 results/);
    });

    it('flags a result after a trailing plan', () => {
      const doc = ktap('TAP version 13', 'ok 1 a', '1..2', 'ok 2 b');
      assert.deepEqual(doc.problems, [{ line: 4, message: 'result after the trailing plan' }]);
    });
  });

  describe('result lines', () => {
    it('drops the " - " of older TAP and kunit', () => {
      assert.equal(only(ktap('TAP version 14', '1..1', 'ok 1 - list_test_list_init')).name, 'list_test_list_init');
    });

    it('maps every directive to a status', () => {
      const doc = ktap(
        'TAP version 13', '1..8',
        'ok 1 a # SKIP why', 'not ok 2 b # TODO later', 'ok 3 c # XFAIL known', 'not ok 4 d # TIMEOUT 45 seconds',
        'not ok 5 # error no pagemap', 'ok 6 f # XPASS', 'not ok 7 g # exit=139', 'ok 8 h # skip lower case',
      );
      assert.deepEqual(doc.cases.map((c) => [c.status, c.directive, c.reason]), [
        ['skip', 'SKIP', 'why'], ['todo', 'TODO', 'later'], ['xfail', 'XFAIL', 'known'],
        ['timeout', 'TIMEOUT', '45 seconds'], ['error', 'ERROR', 'no pagemap'], ['fail', 'XPASS', undefined],
        ['fail', 'EXIT', 'exit=139'], ['skip', 'SKIP', 'lower case'],
      ]);
    });

    it('keeps a non-directive comment as a diagnostic with its metrics', () => {
      const c = only(ktap('TAP version 13', '1..1', 'ok 1 anon # pages=64 faults=3'));
      assert.equal(c.name, 'anon');
      assert.equal(c.status, 'pass');
      assert.deepEqual(c.diagnostics, ['pages=64 faults=3']);
      assert.deepEqual(c.metrics, { pages: 64, faults: 3 });
    });

    it('does not split a name on a "#" inside a word', () => {
      assert.equal(only(ktap('TAP version 13', '1..1', 'ok 1 case#2 runs')).name, 'case#2 runs');
    });

    it('does not take "okay" or "not okay" for a result', () => {
      const doc = ktap('TAP version 13', '1..1', 'okay, starting', 'not okay either', 'ok 1 a');
      assert.deepEqual(doc.cases.map((c) => c.name), ['a']);
      assert.deepEqual(doc.problems, []);
    });

    it('reads digits glued to text as the name, not the number', () => {
      const doc = ktap('TAP version 13', '1..1', 'ok 12-pages');
      assert.equal(doc.cases[0]?.name, '12-pages');
      assert.equal(doc.cases[0]?.number, 1);
      assert.deepEqual(messages(doc), ['result has no test number; taken as 1']);
    });

    it('numbers results without a number after the previous one', () => {
      const doc = ktap('TAP version 13', '1..3', 'ok 1 a', 'ok b', 'ok c');
      assert.deepEqual(doc.cases.map((c) => c.number), [1, 2, 3]);
      assert.equal(doc.complete, true);
      assert.equal(doc.problems.length, 2);
    });

    it('reports duplicates and out-of-order numbers but keeps every result', () => {
      const doc = ktap('TAP version 13', '1..3', 'ok 1 a', 'ok 3 c', 'ok 2 b', 'ok 2 b');
      assert.deepEqual(doc.cases.map((c) => c.number), [1, 3, 2, 2]);
      assert.deepEqual(doc.problems, [
        { line: 4, message: 'test number 3 out of order (expected 2)' },
        { line: 5, message: 'test number 2 out of order (expected 4)' },
        { line: 6, message: 'duplicate test number 2' },
      ]);
      assert.equal(doc.complete, true);
    });
  });

  describe('diagnostics and metrics', () => {
    it('attaches diagnostics to the next result and keeps trailing ones at document level', () => {
      const doc = ktap('TAP version 13', '1..1', '# before', 'ok 1 a', '# Totals: pass:1');
      assert.deepEqual(only(doc).diagnostics, ['before']);
      assert.deepEqual(doc.diagnostics, [{ line: 5, text: 'Totals: pass:1' }]);
    });

    it('parses numbers, strings and quoted values; later lines win', () => {
      const c = only(ktap('TAP version 13', '1..1',
        '# faults_after_unprotect=64 pages=64', '# ratio=0.5 delta=-3 mode=wp-async path="/tmp/a b"',
        '# pages=32, addr=0x7f00', 'ok 1 a'));
      assert.deepEqual(c.metrics, {
        faults_after_unprotect: 64, pages: 32, ratio: 0.5, delta: -3, mode: 'wp-async', path: '/tmp/a b', addr: '0x7f00',
      });
    });

    it('ignores empty "#" lines', () => {
      assert.deepEqual(only(ktap('TAP version 13', '1..1', '#', '# ', 'ok 1 a')).diagnostics, []);
    });

    it('does not take an x86 "#PF:" oops line for a diagnostic', () => {
      const doc = ktap('TAP version 13', '1..1', 'ok 1 a', '[   15.01] #PF: supervisor read access in kernel mode');
      assert.deepEqual(doc.diagnostics, []);
    });
  });

  describe('console capture', () => {
    it('strips printk timestamps and caller ids but keeps subtest indentation', () => {
      const doc = ktap(
        '[    1.000000][    T1] KTAP version 1', '[    1.000001][    T1] 1..1',
        '[    1.000002][    T1]     KTAP version 1', '[    1.000003][    T1]     # Subtest: s', '[    1.000004][    T1]     1..1',
        '[    1.000005][    T1]     ok 1 t', '[    1.000006][    T1] ok 1 s',
      );
      assert.equal(doc.complete, true);
      assert.equal(only(doc).subtests?.[0]?.name, 't');
    });

    it('reads CRLF line endings', () => {
      assert.equal(parseKtap('TAP version 13\r\n1..1\r\nok 1 a\r\n').complete, true);
    });

    it('ignores kernel messages between results', () => {
      const doc = ktap('TAP version 13', '1..2', 'ok 1 a', '[   3.1] random: crng init done', 'ok 2 b');
      assert.equal(doc.complete, true);
      assert.deepEqual(doc.problems, []);
    });
  });

  describe('nesting', () => {
    it('uses the "# Subtest:" name when the parent result has none', () => {
      assert.equal(only(ktap('KTAP version 1', '1..1', '    # Subtest: suite', '    1..1', '    ok 1 t', 'ok 1')).name, 'suite');
    });

    it('accepts subtests without a plan (kunit parameterised tests)', () => {
      const doc = ktap('KTAP version 1', '1..1', '    # Subtest: params', '    ok 1 p0', '    ok 2 p1', 'ok 1 params');
      assert.equal(doc.complete, true);
      assert.equal(only(doc).subtests?.length, 2);
    });

    it('makes the document incomplete when a nested block is', () => {
      const doc = ktap('KTAP version 1', '1..1', '    1..2', '    ok 1 t', 'ok 1 suite');
      assert.equal(doc.complete, false);
      assert.equal(only(doc).subtests?.[1]?.status, 'error');
    });

    it('reports a nested block that no result line claimed', () => {
      const doc = ktap('KTAP version 1', '1..2', '    KTAP version 1', '    1..1', '    ok 1 t',
        '    KTAP version 1', '    1..1', '    ok 1 u', 'ok 2 second');
      assert.deepEqual(doc.cases.map((c) => [c.number, c.status, c.reason]), [
        [1, 'error', 'missing: no result line after its subtests'], [2, 'pass', undefined],
      ]);
      assert.equal(doc.complete, false);
      assert.deepEqual(messages(doc), ['subtests starting here have no result line']);
    });

    it('keeps indented non-KTAP lines as diagnostics only inside a nested block', () => {
      const doc = ktap('KTAP version 1', '1..1', '    1..1', '    # t: EXPECTATION FAILED', '    Expected 1 == 2', '    not ok 1 t', 'not ok 1 s',
        '  stray indented text at the top level');
      assert.deepEqual(only(doc).subtests?.[0]?.diagnostics, ['t: EXPECTATION FAILED', 'Expected 1 == 2']);
      assert.deepEqual(doc.diagnostics, []);
    });
  });

  describe('bail out', () => {
    it('keeps an empty reason distinct from no bail out, and ignores later results', () => {
      const doc = ktap('TAP version 13', '1..2', 'Bail out!', 'ok 1 late');
      assert.equal(doc.bailedOut, '');
      assert.equal(doc.complete, false);
      assert.deepEqual(doc.cases.map((c) => c.reason), ['missing: not run, the test bailed out', 'missing: not run, the test bailed out']);
      assert.ok(messages(doc).includes('result after "Bail out!" ignored'));
    });

    it('is incomplete even when every planned result was printed', () => {
      const doc = ktap('TAP version 13', '1..1', 'ok 1 a', 'Bail out! cleanup failed');
      assert.equal(doc.complete, false);
      assert.equal(doc.bailedOut, 'cleanup failed');
    });
  });

  it('survives a staircase of indentation without overflowing the stack', () => {
    const lines = ['KTAP version 1', '1..1'];
    for (let d = 1; d <= 2000; d++) lines.push(`${' '.repeat(d)}ok 1 level${d}`);
    const doc = parseKtap([...lines, 'ok 1 top'].join('\n'));
    assert.equal(only(doc).status, 'pass');
    assert.ok(messages(doc).some((m) => m.startsWith('nesting deeper than 16 levels')));
  });

  it('reads a long console log in linear time', () => {
    const lines = ['TAP version 13', '1..50000'];
    for (let n = 1; n <= 50000; n++) lines.push(`[ ${n}.0] # pages=${n}`, `[ ${n}.1]     stack line ${n}`, `[ ${n}.2] ok ${n} case ${n}`);
    const started = Date.now();
    const doc = parseKtap(lines.join('\n'));
    assert.equal(doc.complete, true);
    assert.equal(doc.cases[49999]?.metrics.pages, 50000);
    assert.ok(Date.now() - started < 5000, 'took more than 5 s');
  });

  it('never throws on arbitrary input', () => {
    // Deterministic pseudo-random soup of KTAP-ish fragments.
    const pieces = ['ok', 'not ok', '1..', '#', ' ', '    ', 'KTAP version 1', 'TAP version 13', 'Bail out!',
      '# Subtest:', 'SKIP', '\n', '\r\n', '12', '-', 'x=1', '"', '[  1.0] ', '\t', '1..3', '# TAP version 13'];
    let seed = 42;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let k = rand(80); k > 0; k--) text += pieces[rand(pieces.length)] ?? '';
      const doc = parseKtap(text);
      assert.ok(Array.isArray(doc.cases), text);
      for (const p of doc.problems) assert.ok(Number.isInteger(p.line) && p.line >= 0, text);
    }
  });
});

describe('summarizeKtap', () => {
  it('folds the seven statuses into pass/fail/skip/error', () => {
    const doc = ktap('TAP version 13', '1..7', 'ok 1 a', 'not ok 2 b', 'ok 3 c # SKIP', 'not ok 4 d # TODO',
      'ok 5 e # XFAIL', 'not ok 6 f # TIMEOUT', 'not ok 7 g # error');
    assert.deepEqual(summarizeKtap(doc), { pass: 2, fail: 2, skip: 2, error: 1, total: 7 });
  });

  it('counts cases filled in for missing results as errors', () => {
    assert.deepEqual(summarizeKtap(ktap('TAP version 13', '1..3', 'ok 1 a')), { pass: 1, fail: 0, skip: 0, error: 2, total: 3 });
  });
});
