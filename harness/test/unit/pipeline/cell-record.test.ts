// The first stages of the chain on a tiny real tree (local provider, real
// git apply), and the cell record assembled from what they produced.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { prepareKernel } from '../../../src/pipeline/prepare.ts';
import { assembleCellResult } from '../../../src/pipeline/cell.ts';
import { getArch } from '../../../src/arch/profile.ts';
import type { CellPlan } from '../../../src/plan/config.ts';

function tinyTree(): { root: string; tree: string } {
  const root = mkdtempSync(join(tmpdir(), 'kvm-cell-'));
  const tree = join(root, 'linux');
  mkdirSync(join(tree, 'mm'), { recursive: true });
  writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n');
  writeFileSync(join(tree, 'mm', 'a.c'), 'int a(void)\n{\n\treturn 1;\n}\n');
  writeFileSync(join(root, 'bad.patch'), 'From: Dev <d@x>\nSubject: [PATCH] mm: change a\n\n---\ndiff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 7;\n+\treturn 2;\n }\n');
  return { root, tree };
}

describe('a cell whose series does not apply', () => {
  it('stops at the patch stage, is patch-failed, and still records the series it tried', async () => {
    const { root, tree } = tinyTree();
    const plan: CellPlan = {
      id: 'tiny/x86_64/v1', arch: 'x86_64', repeat: 1,
      kernel: { id: 'tiny', source: { provider: 'local', path: tree } },
      variant: { name: 'v1', patches: ['bad.patch'] },
    } as CellPlan;
    const cellDir = join(root, 'cell');
    mkdirSync(cellDir);
    const ctx = { cacheDir: join(root, 'cache'), report: () => undefined };
    const startedAt = new Date();
    const prepared = await prepareKernel(ctx, { plan, arch: getArch('x86_64'), baseDir: root, logDir: cellDir });
    assert.equal(prepared.ok, false);
    assert.deepEqual(prepared.stages.map((s) => `${s.stage}:${s.status}`), ['source:ok', 'patch:failed']);
    const cell = assembleCellResult({ plan, baseDir: root, cellDir, prepared, startedAt, finishedAt: new Date() });
    assert.equal(cell.state, 'patch-failed');
    assert.equal(cell.error?.code, 'PATCH_DOES_NOT_APPLY');
    assert.match(cell.error?.message ?? '', /bad\.patch does not apply to local:.*: mm\/a\.c:1: patch failed/);
    assert.deepEqual(cell.variant.patches.map((p) => [p.path, p.subjects]), [['bad.patch', ['mm: change a']]]);
    assert.deepEqual(cell.stages.map((s) => [s.stage, s.status, s.log]), [['source', 'ok', 'source.log'], ['patch', 'failed', 'patch.log']]);
    assert.equal(cell.kernel.version, '6.1.0');
    assert.equal(cell.build, null);
    assert.equal(cell.programs, null, 'no programs were planned: the comparison reads the cell state');
  });
});
