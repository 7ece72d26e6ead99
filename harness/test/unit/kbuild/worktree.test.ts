// The patch stage and work trees against a tiny real source tree and real `git apply`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openWorkTree, writePatched } from '../../../src/kbuild/worktree.ts';
import { applyPatches } from '../../../src/patch/apply.ts';
import { loadPatchFiles } from '../../../src/patch/series.ts';
import type { KernelSource } from '../../../src/source/types.ts';
import { UserError } from '../../../src/errors.ts';

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'kvm-wt-'));
  const tree = join(root, 'pristine');
  mkdirSync(join(tree, 'mm'), { recursive: true });
  writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n');
  writeFileSync(join(tree, 'mm', 'a.c'), 'int a(void)\n{\n\treturn 1;\n}\n');
  const patch = join(root, 'fix.patch');
  writeFileSync(patch, 'From: Dev <d@x>\nSubject: [PATCH] mm: fix a\n\nbody\n---\ndiff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 1;\n+\treturn 2;\n }\n');
  // A series whose second patch needs the first (same file), and one that creates a file.
  const second = join(root, 'second.patch');
  writeFileSync(second, 'diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 2;\n+\treturn 3;\n }\n');
  const create = join(root, 'create.patch');
  writeFileSync(create, 'diff --git a/mm/new.c b/mm/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/mm/new.c\n@@ -0,0 +1 @@\n+int n;\n');
  const bad = join(root, 'bad.patch');
  writeFileSync(bad, 'diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 7;\n+\treturn 2;\n }\n');
  const source: KernelSource = { identity: 'test:tiny', tree, kernelVersion: '6.1.0' };
  return { root, tree, patch, second, create, bad, source, cache: join(root, 'cache') };
}

describe('the patch stage and work trees', () => {
  it('applies a series without touching the pristine tree, and restores base with a fresh mtime', async () => {
    const t = setup();
    const log = join(t.root, 'log');
    const wt = await openWorkTree(t.cache, t.source, 'x86_64', log);
    try {
      const patched = await applyPatches(t.source, await loadPatchFiles([t.patch], t.root), log);
      assert.deepEqual(patched.touched, ['mm/a.c']);
      await writePatched(wt, t.source, patched);
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 2/);
      assert.match(readFileSync(join(t.tree, 'mm/a.c'), 'utf8'), /return 1/, 'pristine tree unchanged');
      const patchedMtime = statSync(join(wt.src, 'mm/a.c')).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      await writePatched(wt, t.source, await applyPatches(t.source, [], log));
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 1/);
      assert.ok(statSync(join(wt.src, 'mm/a.c')).mtimeMs > patchedMtime, 'restored file is newer, so make rebuilds it');
      assert.notEqual(statSync(join(wt.src, 'mm/a.c')).ino, statSync(join(t.tree, 'mm/a.c')).ino);
    } finally {
      await wt.release();
    }
  });

  it('applies a series in order (a patch on top of the previous one), creates files, and removes them again for base', async () => {
    const t = setup();
    const log = join(t.root, 'log');
    const patched = await applyPatches(t.source, await loadPatchFiles([t.patch, t.second, t.create], t.root), log);
    assert.deepEqual(patched.touched, ['mm/a.c', 'mm/new.c']);
    assert.match(patched.contents['mm/a.c']?.toString() ?? '', /return 3/);
    assert.equal(patched.contents['mm/new.c']?.toString(), 'int n;\n');
    const wt = await openWorkTree(t.cache, t.source, 'x86_64', log);
    try {
      await writePatched(wt, t.source, patched);
      assert.equal(readFileSync(join(wt.src, 'mm/new.c'), 'utf8'), 'int n;\n');
      await writePatched(wt, t.source, await applyPatches(t.source, [], log));
      assert.equal(existsSync(join(wt.src, 'mm/new.c')), false, 'a file the series created is gone for base');
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 1/);
    } finally {
      await wt.release();
    }
  });

  it('names the file, hunk line and reason when a patch does not apply, before any work tree is touched', async () => {
    const t = setup();
    await assert.rejects(applyPatches(t.source, await loadPatchFiles([t.bad], t.root), join(t.root, 'log')),
      (e: unknown) => e instanceof UserError && e.code === 'PATCH_DOES_NOT_APPLY' && /bad\.patch does not apply to test:tiny: mm\/a\.c:1: patch failed/.test(e.message));
    assert.equal(existsSync(t.cache), false, 'the patch stage needs no work tree');
  });
});
