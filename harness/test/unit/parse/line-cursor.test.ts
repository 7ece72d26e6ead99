import assert from 'node:assert/strict';
import { LineCursor, type SourceLine } from '../../../src/parse/line-cursor.ts';

const numbered = (...texts: string[]): SourceLine[] => texts.map((text, i) => ({ line: i + 1, text }));
const belongs = (t: string): boolean => t.startsWith('  ');
const passes = (t: string): boolean => t === '' || t === 'noise';

describe('LineCursor', () => {
  it('peeks without moving and skips one line at a time, stopping at the end', () => {
    const cursor = new LineCursor(numbered('a', 'b'));
    assert.deepEqual(cursor.peek(), { line: 1, text: 'a' });
    assert.deepEqual(cursor.peek(), { line: 1, text: 'a' });
    cursor.skip();
    assert.equal(cursor.peek()?.text, 'b');
    cursor.skip();
    cursor.skip();
    assert.equal(cursor.peek(), undefined);
  });

  it('takes a run across passable lines, dropping them, and stops before a line that ends it', () => {
    const cursor = new LineCursor(numbered('  a', 'noise', '  b', '', 'end', '  c'));
    assert.deepEqual(cursor.takeRun(belongs, passes), [{ line: 1, text: '  a' }, { line: 3, text: '  b' }]);
    assert.deepEqual(cursor.peek(), { line: 4, text: '' }, 'a passable line with nothing belonging after it is not taken');
  });

  it('takes a run up to the end of the input', () => {
    const cursor = new LineCursor(numbered('x', '  a', '  b'));
    cursor.skip();
    assert.deepEqual(cursor.takeRun(belongs, passes).map((l) => l.line), [2, 3]);
    assert.equal(cursor.peek(), undefined);
  });
});
