// apt's output, recorded (harness/test/fixtures/apt/README.md), parsed to goldens.
import assert from 'node:assert/strict';
import { aptMessages, classifyAptUpdateFailure, parseAptPolicies, parseAptPolicy, parseAptSearchNames, parsePrintUris } from '../../../src/apt/parse.ts';
import { assertMatchesGolden, fixturesIn } from '../../golden.ts';

const parsers: [RegExp, (text: string) => unknown][] = [
  [/^policy-/, (t) => Object.fromEntries(parseAptPolicies(t))],
  [/^search-/, parseAptSearchNames],
  [/^print-uris-/, parsePrintUris],
  [/^update-.*\.stderr$/, (t) => ({ messages: aptMessages(t), failure: classifyAptUpdateFailure(t) })],
];

describe('apt output goldens', () => {
  for (const f of fixturesIn('apt').filter((x) => x.name !== 'README.md')) {
    it(f.name, () => {
      const parse = parsers.find(([re]) => re.test(f.name))?.[1];
      assert.ok(parse, `no parser for ${f.name}`);
      assertMatchesGolden(parse(f.input), f.goldenPath);
    });
  }
});

describe('apt output', () => {
  it('reads one package\'s policy: installed, candidate and every version of the table', () => {
    const text = [
      'linux-source-6.1:',
      '  Installed: 6.1.176-1',
      '  Candidate: 6.1.176-1',
      '  Version table:',
      ' *** 6.1.176-1 500',
      '        500 http://deb.debian.org/debian bookworm/main amd64 Packages',
      '        100 /var/lib/dpkg/status',
      '     6.1.170-3 500',
      '        500 http://deb.debian.org/debian bookworm/main amd64 Packages',
      '',
    ].join('\n');
    assert.deepEqual(parseAptPolicy(text), { installed: '6.1.176-1', candidate: '6.1.176-1', versions: ['6.1.176-1', '6.1.170-3'] });
    assert.deepEqual([...parseAptPolicies(text).keys()], ['linux-source-6.1']);
  });

  it('finds nothing in empty output', () => {
    assert.equal(parseAptPolicy(''), null);
    assert.equal(parseAptPolicies('').size, 0);
    assert.deepEqual(parseAptSearchNames(''), []);
    assert.deepEqual(parsePrintUris(''), []);
  });

  it('sorts package names by version, not by character', () => {
    assert.deepEqual(parseAptSearchNames('linux-source-6.12 - x\nlinux-source-6.2 - y\nlinux-source-5.10 - z\n'), ['linux-source-5.10', 'linux-source-6.2', 'linux-source-6.12']);
  });

  it('gives no sha256 when the index names another hash only', () => {
    assert.deepEqual(parsePrintUris("'http://m/pool/x_1_all.deb' x_1_all.deb 12 MD5Sum:0123456789abcdef0123456789abcdef\n"),
      [{ url: 'http://m/pool/x_1_all.deb', fileName: 'x_1_all.deb', size: 12, sha256: null }]);
  });

  it('classifies an unknown failure as other', () => {
    assert.equal(classifyAptUpdateFailure('E: Something new went wrong\n'), 'other');
    assert.equal(classifyAptUpdateFailure('E: Failed to fetch http://m/dists/x/InRelease  Hash Sum mismatch\n'), 'other');
  });
});
