// Nesting edge cases of the block parser (ktap-block.ts) that neither the
// recorded fixtures nor ktap.test.ts pin down, read through parseKtap.
import assert from 'node:assert/strict';
import { parseKtap, type KtapCase, type KtapDocument } from '../../../src/parse/ktap.ts';

const ktap = (...lines: string[]): KtapDocument => parseKtap(`${lines.join('\n')}\n`);
const shape = (cases: KtapCase[] | undefined): unknown[] =>
  (cases ?? []).map((c) => [c.number, c.name, c.status, ...(c.subtests ? [shape(c.subtests)] : [])]);
const messages = (doc: KtapDocument): string[] => doc.problems.map((p) => p.message);
/** How many levels of subtests hang under the first case. */
const nestingOf = (doc: KtapDocument): number => {
  let depth = 0;
  for (let c = doc.cases[0]; c?.subtests?.length; c = c.subtests[0]) depth++;
  return depth;
};

describe('parseKtapBlock', () => {
  describe('indented nesting', () => {
    it('splits one indented run into two blocks at a "# Subtest:" after a result', () => {
      const doc = ktap('KTAP version 1', '1..2',
        '    # Subtest: a', '    1..1', '    ok 1 x',
        '    # Subtest: b', '    1..1', '    ok 1 y',
        'ok 2 b');
      assert.deepEqual(shape(doc.cases), [[1, 'a', 'error', [[1, 'x', 'pass']]], [2, 'b', 'pass', [[1, 'y', 'pass']]]]);
      assert.equal(doc.cases[0]?.reason, 'missing: no result line after its subtests');
      assert.deepEqual(doc.problems, [{ line: 3, message: 'subtests starting here have no result line' }]);
    });

    it('gives the parent result an empty subtest list for a nested block that only names itself', () => {
      const doc = ktap('KTAP version 1', '1..1', '    # Subtest: named', 'ok 1');
      assert.deepEqual(shape(doc.cases), [[1, 'named', 'pass', []]]);
      assert.equal(doc.complete, true);
    });

    it('reads "# Subtest:" at the top level as a diagnostic, not a name', () => {
      const doc = ktap('KTAP version 1', '# Subtest: top', '1..1', 'ok 1 a');
      assert.deepEqual(doc.cases[0]?.diagnostics, ['Subtest: top']);
      assert.equal(doc.cases[0]?.name, 'a');
    });

    it('gives the waiting diagnostics to an unclaimed block at the end, not again to the missing case after it', () => {
      const doc = ktap('KTAP version 1', '1..2', '# running first', '    1..1', '    ok 1 t');
      assert.deepEqual(doc.cases.map((c) => [c.number, c.status, c.diagnostics]), [
        [1, 'error', ['running first']], [2, 'error', []],
      ]);
      assert.deepEqual(messages(doc), ['subtests starting here have no result line', 'plan 1..2 but 1 result(s) missing: 2']);
    });

    it('reads at most 16 levels and says so', () => {
      const lines: string[] = [];
      for (let d = 0; d <= 18; d++) lines.push(`${'    '.repeat(d)}KTAP version 1`, `${'    '.repeat(d)}1..1`);
      for (let d = 18; d >= 0; d--) lines.push(`${'    '.repeat(d)}ok 1 level${d}`);
      const doc = ktap(...lines);
      assert.equal(nestingOf(doc), 16);
      assert.deepEqual(doc.problems, [{ line: 35, message: 'nesting deeper than 16 levels read as text' }]);
    });
  });

  describe('"# " nesting (run_kselftest.sh)', () => {
    it('steps over unindented console noise inside a nested run', () => {
      const doc = ktap('TAP version 13', '1..1', '# TAP version 13', '# 1..1', 'kernel noise', '# ok 1 inner', 'ok 1 prog');
      assert.deepEqual(shape(doc.cases), [[1, 'prog', 'pass', [[1, 'inner', 'pass']]]]);
      assert.equal(doc.complete, true);
    });

    it('reports a nested bail out against the parent case and fills what it did not run', () => {
      const doc = ktap('TAP version 13', '1..1', '# TAP version 13', '# 1..2', '# ok 1 a', '# Bail out! no more', 'not ok 1 prog');
      assert.deepEqual(shape(doc.cases), [[1, 'prog', 'fail', [[1, 'a', 'pass'], [2, '', 'error']]]]);
      assert.equal(doc.cases[0]?.subtests?.[1]?.reason, 'missing: not run, the test bailed out');
      assert.deepEqual(doc.problems, [
        { line: 6, message: 'plan 1..2 but 1 result(s) missing: 2' },
        { line: 6, message: 'subtests of case 1 bailed out: no more' },
      ]);
      assert.equal(doc.complete, false);
    });

    it('reads at most 16 levels', () => {
      const lines: string[] = [];
      for (let d = 0; d <= 18; d++) lines.push(`${'# '.repeat(d)}TAP version 13`, `${'# '.repeat(d)}1..1`);
      for (let d = 18; d >= 0; d--) lines.push(`${'# '.repeat(d)}ok 1 level${d}`);
      assert.equal(nestingOf(ktap(...lines)), 16);
    });
  });

  it('ignores a second header with a problem on its line', () => {
    const doc = ktap('KTAP version 1', '1..1', 'KTAP version 1', 'ok 1 a');
    assert.deepEqual(doc.problems, [{ line: 3, message: 'unexpected "KTAP version 1" header ignored' }]);
    assert.equal(doc.complete, true);
  });
});
