import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cpioNewc } from '../../../src/guest/cpio.ts';
import { run } from '../../../src/exec/run.ts';
import { globToRegExp } from '../../../src/guest/image.ts';

describe('cpioNewc', () => {
  it('writes an archive that GNU cpio reads back (files, dirs, symlinks, device nodes)', async () => {
    const archive = cpioNewc([
      { type: 'dir', path: 'etc', mode: 0o755 },
      { type: 'file', path: 'etc/passwd', mode: 0o644, data: Buffer.from('root:x:0:0::/root:/bin/sh\n') },
      { type: 'file', path: 'init', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
      { type: 'symlink', path: 'sh', target: 'busybox' },
      { type: 'chardev', path: 'console', mode: 0o600, major: 5, minor: 1 },
    ]);
    assert.equal(archive.length % 4, 0);
    const dir = mkdtempSync(join(tmpdir(), 'kvm-cpio-'));
    writeFileSync(join(dir, 'a.cpio'), archive);
    const list = await run('cpio', ['-itv'], { input: archive });
    assert.equal(list.exitCode, 0, list.stderr);
    assert.match(list.stdout, /^crw-------.*5,\s+1.*console$/m);
    assert.match(list.stdout, /^lrwxrwxrwx.*sh -> busybox$/m);
    const out = join(dir, 'x');
    await run('mkdir', [out]);
    const ex = await run('cpio', ['-id', '--no-absolute-filenames', '-f', 'console'], { cwd: out, input: archive });
    assert.equal(ex.exitCode, 0, ex.stderr);
    assert.equal(readFileSync(join(out, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
    assert.equal(lstatSync(join(out, 'init')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(out, 'sh')), 'busybox');
  });

  it('matches keep globs one path segment at a time', () => {
    assert.ok(globToRegExp('lib/*/*.so*').test('lib/x86_64-linux-gnu/libc.so.6'));
    assert.ok(!globToRegExp('lib/*/*.so*').test('lib/x86_64-linux-gnu/gconv/foo.so'));
    assert.ok(globToRegExp('bin/busybox').test('bin/busybox'));
  });
});
