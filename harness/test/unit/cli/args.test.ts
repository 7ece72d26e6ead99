import assert from 'node:assert/strict';
import { commandHelp, defineCommand, parseCommandArgs, parseDuration, parseSize, synopsis } from '../../../src/cli/args.ts';
import { UserError } from '../../../src/errors.ts';

const spec = defineCommand({
  name: 'demo',
  summary: 'a demo command',
  positionals: [{ name: 'CELL', required: true, description: 'a cell' }],
  rest: { name: 'CMD', description: 'guest command' },
  options: {
    config: { type: 'string', value: 'FILE', description: 'the config' },
    kernel: { type: 'string', value: 'ID', multiple: true, description: 'a kernel' },
    jobs: { type: 'integer', min: 1, max: 8, description: 'parallel cells' },
    accel: { type: 'enum', choices: ['auto', 'kvm', 'tcg'], description: 'accelerator' },
    timeout: { type: 'duration', unit: 's', minMs: 1000, description: 'guest command timeout' },
    size: { type: 'size', unit: 'G', description: 'a size' },
    force: { type: 'boolean', description: 'force it' },
    shard: { type: 'string', value: 'I/N', description: 'a shard', validate: (v) => (/^\d+\/\d+$/.test(v) ? undefined : 'must look like I/N') },
  },
});

function usageError(argv: string[], re: RegExp): void {
  assert.throws(() => parseCommandArgs(spec, argv), (e: unknown) => e instanceof UserError && e.code === 'USAGE' && re.test(e.message) && !!e.hint, `${argv.join(' ')} should fail with ${re}`);
}

describe('cli option tables: parsing', () => {
  it('returns typed, converted values, positionals and the part after --', () => {
    const r = parseCommandArgs(spec, ['c1', '--config', 'm.yaml', '--kernel', 'a', '--kernel=b', '--jobs', '3', '--accel', 'tcg', '--timeout', '90', '--size', '512M', '--force', '--', 'uname', '-r', '--help']);
    assert.deepEqual(r.values, { config: 'm.yaml', kernel: ['a', 'b'], jobs: 3, accel: 'tcg', timeout: 90_000, size: 512 * 1024 ** 2, force: true });
    assert.deepEqual(r.positionals, ['c1']);
    assert.deepEqual(r.rest, ['uname', '-r', '--help']);
    assert.equal(r.help, false);
  });

  it('--help / -h before -- wins over everything else (even bad values)', () => {
    assert.equal(parseCommandArgs(spec, ['--jobs', 'abc', '--help']).help, true);
    assert.equal(parseCommandArgs(spec, ['-h']).help, true);
  });

  it('validates integers, enums, durations, sizes and custom strings, naming the flag and what it takes', () => {
    usageError(['c', '--jobs', 'abc'], /--jobs takes an integer from 1 to 8, got "abc"/);
    usageError(['c', '--jobs', '0'], /--jobs takes an integer from 1 to 8/);
    usageError(['c', '--jobs', '2.5'], /--jobs takes an integer/);
    usageError(['c', '--accel', 'banana'], /--accel must be one of: auto, kvm, tcg; got "banana"/);
    usageError(['c', '--timeout', 'abc'], /--timeout takes a non-negative duration/);
    usageError(['c', '--timeout', '0.5'], /--timeout must be at least 1 s/);
    usageError(['c', '--size', 'abc'], /--size takes a non-negative size/);
    usageError(['c', '--size', '-1'], /--size takes a non-negative size/);
    usageError(['c', '--size', ''], /--size needs a value \(SIZE\), got an empty string/);
    usageError(['c', '--size='], /--size needs a value/);
    usageError(['c', '--shard', '2'], /--shard: must look like I\/N/);
  });

  it('refuses unknown options (suggesting the closest), missing values, repeats and values on booleans', () => {
    usageError(['c', '--confg', 'x'], /unknown option --confg for kvmatrix demo \(did you mean --config\?\)/);
    usageError(['c', '--config'], /--config needs a value \(FILE\)/);
    usageError(['c', '--config', '--force'], /--config needs a value/);
    usageError(['c', '--jobs', '1', '--jobs', '2'], /--jobs was given more than once/);
    usageError(['c', '--force=yes'], /--force takes no value/);
  });

  it('tells to put a guest command after -- instead of reading its flags as ours', () => {
    usageError(['foo', 'uname', '-r'], /put the guest command after --: kvmatrix demo foo -- uname -r/);
    usageError(['foo', '-r'], /kvmatrix demo foo -- -r/);
    usageError(['foo', '--config', 'm.yaml', 'ls', '--', '-l'], /kvmatrix demo foo --config m.yaml -- ls -l/);
  });

  it('requires required positionals and options', () => {
    usageError([], /kvmatrix demo needs CELL/);
    const needsOut = defineCommand({ name: 'm', summary: 's', positionals: [{ name: 'DIR', required: true, variadic: true, description: 'd' }], options: { out: { type: 'string', required: true, description: 'o' } } });
    assert.throws(() => parseCommandArgs(needsOut, ['a', 'b']), /needs --out VALUE/);
    assert.deepEqual(parseCommandArgs(needsOut, ['a', 'b', '--out', 'c']).positionals, ['a', 'b']);
    const noArgs = defineCommand({ name: 'n', summary: 's', options: {} });
    assert.throws(() => parseCommandArgs(noArgs, ['x']), /unexpected argument "x": kvmatrix n takes no arguments/);
    // Without a rest section, -- only ends the options.
    const oneFile = defineCommand({ name: 'p', summary: 's', positionals: [{ name: 'FILE', required: true, description: 'f' }], options: {} });
    assert.deepEqual(parseCommandArgs(oneFile, ['--', '-odd.log']).positionals, ['-odd.log']);
  });

  it('ignores --debug (main reads it), anywhere before --', () => {
    assert.deepEqual(parseCommandArgs(spec, ['--debug', 'c']).positionals, ['c']);
  });
});

describe('cli option tables: values', () => {
  it('parses durations in a default unit or with a suffix', () => {
    assert.equal(parseDuration('90', 's'), 90_000);
    assert.equal(parseDuration('1.5h', 's'), 5_400_000);
    assert.equal(parseDuration('250ms', 's'), 250);
    assert.equal(parseDuration('7', 'd'), 7 * 86400_000);
    for (const bad of ['', 'abc', '-1', '1x', '1 h', 'NaN', 'Infinity']) assert.equal(parseDuration(bad, 's'), null, bad);
  });

  it('parses sizes in a default unit or with a suffix', () => {
    assert.equal(parseSize('20', 'G'), 20 * 1024 ** 3);
    assert.equal(parseSize('512M', 'G'), 512 * 1024 ** 2);
    assert.equal(parseSize('1.5TiB', 'G'), 1.5 * 1024 ** 4);
    assert.equal(parseSize('0', 'G'), 0);
    for (const bad of ['', ' ', 'abc', '-1', '1x', '1e3', 'Infinity']) assert.equal(parseSize(bad, 'G'), null, bad);
  });
});

describe('cli option tables: help', () => {
  it('documents every option, its value, its limits and repeatability, from the same table', () => {
    const help = commandHelp(spec);
    assert.match(help, /^usage: kvmatrix demo CELL \[--config FILE\] \[--kernel ID\]\.\.\./);
    assert.match(help, /-- CMD\.\.\./);
    for (const [name, o] of Object.entries(spec.options)) {
      assert.ok(help.includes(`--${name}`), name);
      assert.ok(help.replace(/\s+/g, ' ').includes(o.description), `${name}: ${o.description}`);
    }
    assert.match(help, /--accel auto\|kvm\|tcg/);
    assert.match(help, /--jobs N +parallel cells \(1-8\)/);
    assert.match(help, /a kernel \(repeatable\)/);
    assert.match(help, /bare number: seconds/);
    assert.match(help, /--debug/);
    assert.match(help, /exit codes: 0 validated/);
    assert.equal(synopsis(spec).startsWith('demo CELL [--config FILE]'), true);
  });
});
