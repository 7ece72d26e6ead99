// --help is generated from the option tables; every error is rendered one way.
import assert from 'node:assert/strict';
import { commands } from '../../../src/cli/commands.ts';
import { usage } from '../../../src/cli/main.ts';
import type { CliCommand } from '../../../src/cli/args.ts';
import { assertUserError, kvmatrix, sandbox, type Sandbox } from './helpers.ts';

/** Every runnable command with the argv that names it: ["matrix"], ["cache", "gc"]... */
function leaves(): { argv: string[]; cmd: CliCommand }[] {
  return Object.entries(commands).flatMap(([name, cmd]) => (cmd.subcommands
    ? Object.entries(cmd.subcommands).map(([sub, s]) => ({ argv: [name, sub], cmd: s }))
    : [{ argv: [name], cmd }]));
}

describe('kvmatrix --help and errors', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(() => sb.cleanup());

  it('kvmatrix --help names every command and every flag of every command', async () => {
    const r = await kvmatrix(sb, ['--help']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, `${usage()}\n`);
    for (const { argv, cmd } of leaves()) {
      assert.ok(r.stdout.includes(`  ${argv.join(' ')}`), `command ${argv.join(' ')} missing`);
      for (const flag of Object.keys(cmd.spec.options)) assert.ok(r.stdout.includes(`--${flag}`), `--${flag} of ${argv.join(' ')} missing`);
    }
    for (const flag of ['--kernel-cmdline', '--timeout', '--accel', '--skip-cold', '--skip-warm', '--upload', '--force', '--debug']) assert.ok(r.stdout.includes(flag), flag);
  });

  it('kvmatrix <command> --help documents each flag with its description, exit 0', async () => {
    for (const { argv, cmd } of leaves()) {
      for (const help of ['--help', '-h']) {
        const r = await kvmatrix(sb, [...argv, help]);
        assert.equal(r.exitCode, 0, `${argv.join(' ')} ${help}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: kvmatrix ${argv.join(' ')}`));
        for (const [flag, o] of Object.entries(cmd.spec.options)) {
          assert.ok(r.stdout.includes(`--${flag}`), `${argv.join(' ')} --help lacks --${flag}`);
          assert.ok(r.stdout.replace(/\s+/g, ' ').includes(o.description.replace(/\s+/g, ' ')), `${argv.join(' ')} --help lacks the description of --${flag}`);
        }
        assert.match(r.stdout, /--debug/);
        if (help === '--help') break; // -h once is enough per command
      }
    }
    const viaHelp = await kvmatrix(sb, ['help', 'exec']);
    assert.equal(viaHelp.exitCode, 0);
    assert.match(viaHelp.stdout, /^usage: kvmatrix exec CELL/);
    const group = await kvmatrix(sb, ['cache', '--help']);
    assert.match(group.stdout, /--max-size SIZE/);
  });

  it('an unknown command or subcommand is a usage error listing the available ones', async () => {
    assertUserError(await kvmatrix(sb, ['frobnicate']), 'USAGE', 'Available: matrix, validate, report, merge, exec, shell, doctor, provision, cache, parse, bench, bisect');
    assertUserError(await kvmatrix(sb, ['cache', 'purge']), 'USAGE', 'Available: ls, gc');
    assertUserError(await kvmatrix(sb, ['help', 'frobnicate']), 'USAGE');
    assertUserError(await kvmatrix(sb, ['provision', '--for', 'banana']), 'USAGE', '--for must be one of: matrix, test');
  });

  it('parse: a missing file or a directory is a clean user error, not a stack trace', async () => {
    assertUserError(await kvmatrix(sb, ['parse', '/nonexistent']), 'FILE_NOT_FOUND', '/nonexistent: no such file');
    assertUserError(await kvmatrix(sb, ['parse', sb.root]), 'NOT_A_FILE', `${sb.root} is a directory`);
    // The stack only with --debug (before the command or among its options); same exit code.
    for (const argv of [['--debug', 'parse', sb.root], ['parse', sb.root, '--debug']]) {
      const debug = await kvmatrix(sb, argv);
      assert.equal(debug.exitCode, 2);
      assert.match(debug.stderr, /^error \[NOT_A_FILE\]: /m);
      assert.match(debug.stderr, /^\s+at .*commands\.ts:\d+:\d+\)$/m, debug.stderr);
    }
    assertUserError(await kvmatrix(sb, ['parse']), 'USAGE', 'needs FILE');
    assertUserError(await kvmatrix(sb, ['parse', 'a', 'b']), 'USAGE', 'unexpected argument "b"');
  });
});
