import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertArchiveSafe, entryProblem, strippedPath, symlinkEscapes } from '../../../src/source/archive.ts';
import { parseContentRange } from '../../../src/source/download.ts';
import { KvmatrixError } from '../../../src/errors.ts';
import { rawTar, tempDir } from './helpers.ts';

describe('archive entry safety', () => {
  it('accepts ordinary files, directories and links that stay inside', () => {
    assert.equal(entryProblem({ path: 'linux-6.9/kernel/fork.c', type: 'File' }, 1), null);
    assert.equal(entryProblem({ path: 'linux-6.9/kernel/', type: 'Directory' }, 1), null);
    assert.equal(entryProblem({ path: 'linux-6.9/scripts/dtc/include-prefixes/arm', type: 'SymbolicLink', linkpath: '../../../arch/arm/boot/dts' }, 1), null);
    assert.equal(entryProblem({ path: 'linux-6.9/a/hard', type: 'Link', linkpath: 'linux-6.9/a/file' }, 1), null);
  });

  it('flags absolute paths, .. segments, escaping links and device nodes', () => {
    const cases: [Parameters<typeof entryProblem>[0], RegExp][] = [
      [{ path: '/etc/passwd', type: 'File' }, /absolute path/],
      [{ path: 'linux/../../x', type: 'File' }, /'\.\.'/],
      [{ path: 'linux/link', type: 'SymbolicLink', linkpath: '/etc' }, /absolute/],
      [{ path: 'linux/a/link', type: 'SymbolicLink', linkpath: '../../x' }, /outside the tree/],
      [{ path: 'linux/hard', type: 'Link', linkpath: '/etc/shadow' }, /absolute/],
      [{ path: 'linux/hard', type: 'Link', linkpath: 'linux/../../etc/shadow' }, /'\.\.'/],
      [{ path: 'linux/hard', type: 'Link', linkpath: 'toplevel' }, /outside the tree/],
      [{ path: 'linux/dev/sda', type: 'BlockDevice' }, /not allowed/],
      [{ path: 'linux/fifo', type: 'FIFO' }, /not allowed/],
    ];
    for (const [entry, re] of cases) assert.match(entryProblem(entry, 1) ?? 'accepted', re, JSON.stringify(entry));
  });

  it('follows symlink chains, catches loops, and strips like tar does', () => {
    const links = new Map([['here', '.'], ['sneaky', 'here/..'], ['ok', 'here/Makefile'], ['a', 'b'], ['b', 'a'], ['d/deep', '../here/..']]);
    assert.equal(symlinkEscapes('sneaky', links), true);
    assert.equal(symlinkEscapes('ok', links), false);
    assert.equal(symlinkEscapes('a', links), true, 'a loop is refused');
    assert.equal(symlinkEscapes('d/deep', links), true);
    assert.equal(strippedPath('linux-6.9/', 1), null);
    assert.equal(strippedPath('linux-6.9/./kernel//fork.c', 1), 'kernel/fork.c');
  });

  it('assertArchiveSafe lists a whole archive and reports every problem at once', async () => {
    const dir = await tempDir('archive');
    try {
      const file = join(dir, 'x.tar');
      await writeFile(file, rawTar([
        { path: 'linux/Makefile', body: 'VERSION = 6\n' },
        { path: 'linux/../evil', body: 'x' },
        { path: '/abs', body: 'x' },
      ]));
      await assert.rejects(assertArchiveSafe(file, 1, 'x.tar'), (e: unknown) => e instanceof KvmatrixError && e.code === 'ARCHIVE_UNSAFE_PATH' && /2 unsafe entries/.test(e.message));
      await writeFile(file, rawTar([{ path: 'linux/Makefile', body: 'VERSION = 6\n' }]));
      assert.equal(await assertArchiveSafe(file, 1, 'x.tar'), 1);
      await writeFile(file, Buffer.from('this is not a tar archive at all, just text padding it out'.repeat(20)));
      await assert.rejects(assertArchiveSafe(file, 1, 'x.tar'), (e: unknown) => e instanceof KvmatrixError && e.code === 'SOURCE_UNPACK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Content-Range parsing', () => {
  it('reads start and total, or total alone for 416', () => {
    assert.deepEqual(parseContentRange('bytes 100-199/1000'), { start: 100, total: 1000 });
    assert.deepEqual(parseContentRange('bytes */1000'), { start: undefined, total: 1000 });
    assert.deepEqual(parseContentRange('bytes 0-9/*'), { start: 0, total: undefined });
    assert.equal(parseContentRange('items 1-2/3'), null);
    assert.equal(parseContentRange(undefined), null);
  });
});
