// The printk prefix and line splitting both parsers rely on.
import assert from 'node:assert/strict';
import { indentOf, splitLines, stripPrintkPrefix } from '../../../src/parse/lines.ts';

describe('stripPrintkPrefix', () => {
  it('removes the timestamp and exactly one space', () => {
    assert.equal(stripPrintkPrefix('[   12.345678] ok 1 a'), 'ok 1 a');
    assert.equal(stripPrintkPrefix('[   12.345678]     # Subtest: s'), '    # Subtest: s');
    assert.equal(stripPrintkPrefix('[12345.000001] x'), 'x');
  });

  it('removes a caller id and a dmesg -r level', () => {
    assert.equal(stripPrintkPrefix('[    1.000000][    T1] Run /init as init process'), 'Run /init as init process');
    assert.equal(stripPrintkPrefix('[    1.000000][    C0] rcu: INFO'), 'rcu: INFO');
    assert.equal(stripPrintkPrefix('<4>[    1.000000] WARNING: x'), 'WARNING: x');
  });

  it('leaves other brackets alone', () => {
    assert.equal(stripPrintkPrefix('[RUN] test_simple'), '[RUN] test_simple');
    assert.equal(stripPrintkPrefix('text [   1.0] later'), 'text [   1.0] later');
  });
});

describe('splitLines', () => {
  it('handles LF, CRLF, stray CR and a missing final newline', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\n'), ['a']);
    assert.deepEqual(splitLines('a\r\nb'), ['a', 'b']);
    assert.deepEqual(splitLines('a\r\r\n\nb\n'), ['a', '', 'b']);
  });
});

describe('indentOf', () => {
  it('counts leading spaces and tabs', () => {
    assert.equal(indentOf('    ok'), 4);
    assert.equal(indentOf('\tx'), 1);
    assert.equal(indentOf('x  '), 0);
  });
});
