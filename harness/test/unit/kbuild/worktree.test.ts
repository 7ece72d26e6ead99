// Work trees against a tiny real source tree and real `git apply`.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { applySeries, openWorkTree } from '../../../src/kbuild/worktree.ts';
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
  const bad = join(root, 'bad.patch');
  writeFileSync(bad, 'diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 7;\n+\treturn 2;\n }\n');
  const source: KernelSource = { identity: 'test:tiny', tree, kernelVersion: '6.1.0' };
  return { root, tree, patch, bad, source, cache: join(root, 'cache') };
}

describe('work trees', () => {
  it('applies a series without touching the pristine tree, and restores base with a fresh mtime', async () => {
    const t = setup();
    const wt = await openWorkTree(t.cache, t.source, 'x86_64', join(t.root, 'log'));
    try {
      const patches = await loadPatchFiles([t.patch], t.root);
      const applied = await applySeries(wt, t.source, patches, join(t.root, 'log'));
      assert.deepEqual(applied.touched, ['mm/a.c']);
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 2/);
      assert.match(readFileSync(join(t.tree, 'mm/a.c'), 'utf8'), /return 1/, 'pristine tree unchanged');
      const patchedMtime = statSync(join(wt.src, 'mm/a.c')).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      await applySeries(wt, t.source, [], join(t.root, 'log'));
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 1/);
      assert.ok(statSync(join(wt.src, 'mm/a.c')).mtimeMs > patchedMtime, 'restored file is newer, so make rebuilds it');
      assert.notEqual(statSync(join(wt.src, 'mm/a.c')).ino, statSync(join(t.tree, 'mm/a.c')).ino);
    } finally {
      await wt.release();
    }
  });

  it('names the file, hunk line and reason when a patch does not apply', async () => {
    const t = setup();
    const wt = await openWorkTree(t.cache, t.source, 'x86_64', join(t.root, 'log'));
    try {
      const patches = await loadPatchFiles([t.bad], t.root);
      await assert.rejects(applySeries(wt, t.source, patches, join(t.root, 'log')),
        (e: unknown) => e instanceof UserError && e.code === 'PATCH_DOES_NOT_APPLY' && /bad\.patch does not apply to test:tiny: mm\/a\.c:1: patch failed/.test(e.message));
      // The next variant still starts from pristine.
      await applySeries(wt, t.source, [], join(t.root, 'log'));
      assert.match(readFileSync(join(wt.src, 'mm/a.c'), 'utf8'), /return 1/);
    } finally {
      await wt.release();
    }
  });
});
