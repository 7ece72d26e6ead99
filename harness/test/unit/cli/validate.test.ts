// `kvmatrix validate` on inputs that must fail before anything is built:
// exit 2 with the reason, and no run directory left behind.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserError, configDir, GOOD_PATCH, kvmatrix, refusalSandbox, validYaml } from './helpers.ts';

describe('kvmatrix validate: mail in, nothing started on bad input', function () {
  this.timeout(60_000);
  const box = refusalSandbox();
  const { assertNothingWritten } = box;

  it('is in kvmatrix --help, and its own --help names the inputs, flags and examples', async () => {
    const top = await kvmatrix(box.sb, ['--help']);
    assert.match(top.stdout, /^ {2}validate PATCH\.\.\. \[--kernels LIST\]\.\.\. \[--arch ARCH\]\.\.\. \[--suite NAME\]\.\.\./m);
    const r = await kvmatrix(box.sb, ['validate', '--help']);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /usage: kvmatrix validate PATCH\.\.\./);
    assert.match(r.stdout.replace(/\s+/g, ' '), /an mbox or \.mbx, a saved \.eml, git format-patch files or their directory, a web archive page, or - for stdin/);
    assert.match(r.stdout, /kvmatrix validate \.\.\/shared\/seed\/uffd-wp-softdirty-patch\.eml\.txt --kernels 6\.1 --arch x86_64/);
  });

  it('refuses a patch path that does not exist', async () => {
    assertUserError(await kvmatrix(box.sb, ['validate', join(box.sb.root, 'nope.patch')]), 'PATCH_MISSING', 'nope.patch: no such file or directory');
    assertNothingWritten();
  });

  it('refuses mail without a diff', async () => {
    const f = join(box.sb.root, 'chat.eml');
    writeFileSync(f, 'From: A <a@x>\nSubject: hello\n\nno patch here\n');
    assertUserError(await kvmatrix(box.sb, ['validate', f]), 'MAIL_NO_PATCH', 'no patch found in chat.eml');
    assertNothingWritten();
  });

  it('refuses a kernel or a suite it does not know, listing the known ones', async () => {
    const f = join(box.sb.root, 'fix.patch');
    writeFileSync(f, GOOD_PATCH);
    assertUserError(await kvmatrix(box.sb, ['validate', f, '--kernels', '6.1,4.19']), 'UNKNOWN_KERNEL', 'Available: 5.10, 6.1, 6.12, 7.2');
    assertUserError(await kvmatrix(box.sb, ['validate', f, '--suite', 'ltp']), 'UNKNOWN_SUITE', 'Available: softdirty-uffdwp, kselftest-mm');
    assertNothingWritten();
  });

  it('runs the plan check on the generated config, and leaves no run directory when it fails', async () => {
    const defaults = configDir(box.sb.root, () => validYaml({ kernels: '  - { id: "6.1", source: { provider: local, path: no-such-tree } }' }));
    const f = join(box.sb.root, 'fix.patch');
    writeFileSync(f, GOOD_PATCH);
    const r = await kvmatrix(box.sb, ['validate', f, '--defaults', defaults]);
    assertUserError(r, 'SOURCE_NOT_A_TREE', /config\.yaml: \/kernels\/0\/source\/path: /);
    assertNothingWritten();
  });
});
