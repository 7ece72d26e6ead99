import assert from 'node:assert/strict';
import { describeError, exitCodeFor, InfraError, UserError } from '../../src/errors.ts';

describe('describeError', () => {
  it('renders user errors as "error [CODE]: message" and "fix: hint"; the stack only with debug', () => {
    const e = new UserError('PATCH_MISSING', 'patch x not found', { hint: 'create it', stage: 'cli' });
    assert.equal(describeError(e), 'error [PATCH_MISSING]: patch x not found\n  fix: create it');
    assert.equal(exitCodeFor(e), 2);
    assert.match(describeError(e, { debug: true }), /\n {2}stack: .*\n\s+at /);
    assert.match(describeError(new InfraError('BOOT_TIMEOUT', 'no ssh', { stage: 'boot' })), /^infrastructure error \[BOOT_TIMEOUT\] in boot: no ssh$/);
  });

  it('keeps stack traces of unexpected errors behind --debug, with their cause chain', () => {
    const plain = describeError(new TypeError('x is undefined'));
    assert.equal(plain, 'internal error: x is undefined\n  fix: rerun with --debug for the stack trace, and report it if the message does not explain it');
    const sys = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    assert.match(describeError(sys), /^infrastructure error \[EIO\]: EIO: i\/o error, read\n {2}fix: rerun with --debug/);
    assert.equal(exitCodeFor(sys), 69);
    const debug = describeError(new Error('outer', { cause: new Error('inner') }), { debug: true });
    assert.match(debug, /stack: Error: outer\n\s+at /);
    assert.match(debug, /caused by: Error: inner/);
  });
});
