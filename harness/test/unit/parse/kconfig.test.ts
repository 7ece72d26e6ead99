// Kconfig as a value: parsing details, merge order, the missing-option rules.
import assert from 'node:assert/strict';
import { Kconfig, formatKconfig, mergeKconfig, missingOptions, parseKconfig } from '../../../src/parse/kconfig.ts';

const config = (...lines: string[]): Kconfig => parseKconfig(lines.join('\n'));

describe('parseKconfig', () => {
  it('reads every value form conf writes, names without CONFIG_', () => {
    const k = config('CONFIG_A=y', 'CONFIG_B=m', '# CONFIG_C is not set', 'CONFIG_D=n', 'CONFIG_E=250',
      'CONFIG_F=0x1000000', 'CONFIG_G=-1', 'CONFIG_H="-kvmatrix"', 'CONFIG_I=""');
    assert.deepEqual(Object.fromEntries(k), {
      A: 'y', B: 'm', C: 'n', D: 'n', E: '250', F: '0x1000000', G: '-1', H: '"-kvmatrix"', I: '""',
    });
    assert.deepEqual(k.problems, []);
  });

  it('skips comments and blank lines', () => {
    const k = config('#', '# General setup', '', '   ', '#CONFIG_X=y', 'CONFIG_Y=y');
    assert.deepEqual([...k.keys()], ['Y']);
    assert.deepEqual(k.problems, []);
  });

  it('never throws, and reports malformed lines by number', () => {
    const k = config('CONFIG_OK=y', 'garbage', 'CONFIG_BAD=maybe', 'CONFIG_OPEN="unterminated');
    assert.deepEqual([...k], [['OK', 'y']]);
    assert.deepEqual(k.problems.map((p) => p.line), [2, 3, 4]);
  });
});

describe('Kconfig', () => {
  it('behaves as a read-only map', () => {
    const k = new Kconfig([['A', 'y'], ['B', 'n']]);
    assert.equal(k.size, 2);
    assert.equal(k.get('A'), 'y');
    assert.equal(k.get('CONFIG_A'), undefined);
    assert.equal(k.has('B'), true);
    assert.deepEqual([...k.values()], ['y', 'n']);
    const seen: string[] = [];
    k.forEach((value, name, map) => { seen.push(`${name}=${value}`); assert.equal(map, k); });
    assert.deepEqual(seen, ['A=y', 'B=n']);
  });

  it('serialises as options and problems', () => {
    assert.equal(JSON.stringify(config('CONFIG_A=y', 'oops')),
      '{"options":{"A":"y"},"problems":[{"line":2,"message":"\\"oops\\" is not a CONFIG_ assignment or comment"}]}');
  });
});

describe('mergeKconfig', () => {
  it('lets b win, keeps a\'s order and appends b\'s new options, without touching either input', () => {
    const a = config('CONFIG_A=y', 'CONFIG_B=y', 'CONFIG_C=y');
    const b = config('CONFIG_D=y', '# CONFIG_B is not set');
    const merged = mergeKconfig(a, b);
    assert.deepEqual([...merged], [['A', 'y'], ['B', 'n'], ['C', 'y'], ['D', 'y']]);
    assert.equal(a.get('B'), 'y');
    assert.equal(b.has('A'), false);
  });

  it('carries both sides\' problems', () => {
    assert.equal(mergeKconfig(config('bad'), config('worse')).problems.length, 2);
  });
});

describe('missingOptions', () => {
  const actual = config('CONFIG_Y=y', 'CONFIG_M=m', '# CONFIG_N is not set', 'CONFIG_S="x"', 'CONFIG_HZ=250');

  it('is empty when every request holds', () => {
    assert.deepEqual(missingOptions(config('CONFIG_Y=y', 'CONFIG_M=m', 'CONFIG_S="x"', 'CONFIG_HZ=250'), actual), []);
  });

  it('satisfies a requested n by an absent option or an explicit n', () => {
    assert.deepEqual(missingOptions(config('# CONFIG_N is not set', '# CONFIG_ABSENT is not set', 'CONFIG_OTHER=n'), actual), []);
  });

  it('lists what is absent, set otherwise, or set when it should not be', () => {
    assert.deepEqual(missingOptions(config('CONFIG_M=y', 'CONFIG_GONE=y', 'CONFIG_N=y', '# CONFIG_Y is not set', 'CONFIG_HZ=1000'), actual), [
      { name: 'M', wanted: 'y', got: 'm' },
      { name: 'GONE', wanted: 'y', got: null },
      { name: 'N', wanted: 'y', got: 'n' },
      { name: 'Y', wanted: 'n', got: 'y' },
      { name: 'HZ', wanted: '1000', got: '250' },
    ]);
  });
});

describe('formatKconfig', () => {
  it('writes n as "is not set" and everything else as an assignment', () => {
    assert.equal(formatKconfig(config('CONFIG_A=y', 'CONFIG_B=n', 'CONFIG_C="s p"')),
      'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="s p"\n');
  });

  it('writes nothing for an empty config', () => {
    assert.equal(formatKconfig(new Kconfig()), '');
  });

  it('round-trips through parseKconfig', () => {
    const k = config('CONFIG_A=y', '# CONFIG_B is not set', 'CONFIG_C=0x10', 'CONFIG_D="a \\"q\\" b"');
    assert.deepEqual([...parseKconfig(formatKconfig(k))], [...k]);
  });
});
