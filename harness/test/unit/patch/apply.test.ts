// The patch stage's states, with real `git apply` on a tiny tree: clean,
// with an offset, after repair (only when asked), already present, does not
// apply (with the hunk and its closest match), and the evidence it leaves.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { applyPatches, effectivePatches, parseOffsets, PatchError, seriesKey, seriesState } from '../../../src/patch/apply.ts';
import { loadPatchFiles } from '../../../src/patch/series.ts';
import type { KernelSource } from '../../../src/source/types.ts';

const FILE = ['static int a(void)', '{', '\treturn 1;', '}', '', 'static int b(int x)', '{', '\tif (x)', '\t\treturn 2;', '\treturn 3;', '}', ''].join('\n');

function tree(extraTop = 0) {
  const root = mkdtempSync(join(tmpdir(), 'kvm-apply-'));
  const src = join(root, 'src');
  mkdirSync(join(src, 'mm'), { recursive: true });
  writeFileSync(join(src, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\n');
  writeFileSync(join(src, 'mm', 'f.c'), `${'/* pad */\n'.repeat(extraTop)}${FILE}`);
  const source: KernelSource = { identity: 'test:tiny', tree: src, kernelVersion: '6.1.0' };
  const write = (name: string, text: string) => { writeFileSync(join(root, name), text); return name; };
  return { root, source, write, log: join(root, 'cell', 'patch.log') };
}

const HEAD = 'From: Dev <d@x>\nSubject: [PATCH] mm: b returns 4\n\nWhy.\n---\ndiff --git a/mm/f.c b/mm/f.c\n--- a/mm/f.c\n+++ b/mm/f.c\n';
const CLEAN = `${HEAD}@@ -6,6 +6,6 @@ static int a(void)\n static int b(int x)\n {\n \tif (x)\n \t\treturn 2;\n-\treturn 3;\n+\treturn 4;\n }\n`;
// The same patch as an archive shows it: context lines lost their prefix, indentation collapsed, a blank line gone.
const MANGLED = `${HEAD}@@ -6,6 +6,6 @@ static int a(void)\nstatic int b(int x)\n{\nif (x)\nreturn 2;\n- return 3;\n+ return 4;\n}\n`;

describe('patch/apply: the patch stage\'s states', () => {
  it('applies a clean patch: applied, and the contents the build will write', async () => {
    const t = tree();
    const patched = await applyPatches(t.source, await loadPatchFiles([t.write('p.patch', CLEAN)], t.root), t.log);
    assert.equal(patched.report.state, 'applied');
    assert.match(patched.contents['mm/f.c']?.toString() ?? '', /\treturn 4;/);
    assert.ok(existsSync(join(t.root, 'cell', 'patch-report.txt')), 'the report is evidence in the cell dir');
  });

  it('says where a hunk applied when git had to look elsewhere (offset)', async () => {
    const t = tree(11);
    const patched = await applyPatches(t.source, await loadPatchFiles([t.write('p.patch', CLEAN)], t.root), t.log);
    assert.equal(patched.report.state, 'applied-with-offset');
    assert.deepEqual(patched.report.messages[0]?.notes, ['hunk 1 applies at line 17 (offset 11 lines)']);
  });

  it('repairs an archive-mangled patch when the variant asks, saving the repaired diff', async () => {
    const t = tree(3);
    const files = await loadPatchFiles([t.write('m.patch', MANGLED)], t.root);
    const patched = await applyPatches(t.source, files, t.log, { repair: true });
    assert.equal(patched.report.state, 'applied-after-repair');
    const m = patched.report.messages[0];
    assert.match(m?.notes[0] ?? '', /^repaired mm\/f\.c hunk 1: found at lines 9-14 with whitespace normalised; 1 added line\(s\) re-indented$/);
    assert.ok(m?.repaired);
    const repaired = readFileSync(m.repaired.path, 'utf8');
    assert.match(repaired, /^@@ -9,6 \+9,6 @@ static int a\(void\)$/m);
    assert.match(repaired, /^-\treturn 3;\n\+\treturn 4;$/m);
    assert.match(patched.contents['mm/f.c']?.toString() ?? '', /\treturn 4;/);
    // Keyed by what was applied: the work tree and the build cache see the repaired text.
    assert.notEqual(patched.key, seriesKey(files));
    assert.notEqual(effectivePatches(files, patched.report)[0]?.sha256, files[0]?.sha256);
    assert.match(readFileSync(join(t.root, 'cell', 'patch-report.txt'), 'utf8'), /applies after repair[\s\S]*repaired diff: patch-repaired-1\.diff/);
  });

  it('does not repair unless asked: "corrupt patch", with a hint that repair would work', async () => {
    const t = tree();
    await assert.rejects(applyPatches(t.source, await loadPatchFiles([t.write('m.patch', MANGLED)], t.root), t.log),
      (e: unknown) => e instanceof PatchError && e.code === 'PATCH_DOES_NOT_APPLY' && /m\.patch does not apply to test:tiny: .*corrupt patch/.test(e.message)
        && /repair: true/.test(e.hint ?? '') && e.report.state === 'does-not-apply');
  });

  it('says a patch the tree already has is already present, and builds nothing for it', async () => {
    const t = tree();
    writeFileSync(join(t.source.tree, 'mm', 'f.c'), FILE.replace('\treturn 3;', '\treturn 4;'));
    await assert.rejects(applyPatches(t.source, await loadPatchFiles([t.write('p.patch', CLEAN)], t.root), t.log),
      (e: unknown) => e instanceof PatchError && e.code === 'PATCH_ALREADY_PRESENT' && e.report.state === 'already-present'
        && /already in test:tiny: already present: mm\/f\.c:\d+: 1 of 1 added lines there/.test(e.message));
  });

  it('goes on with a series when one message is already present', async () => {
    const t = tree();
    writeFileSync(join(t.source.tree, 'mm', 'f.c'), FILE.replace('\treturn 3;', '\treturn 4;'));
    const second = `${HEAD.replace('b returns 4', 'a returns 5')}@@ -1,4 +1,4 @@\n static int a(void)\n {\n-\treturn 1;\n+\treturn 5;\n }\n`;
    const patched = await applyPatches(t.source, await loadPatchFiles([t.write('1.patch', CLEAN), t.write('2.patch', second)], t.root), t.log);
    assert.deepEqual(patched.report.messages.map((m) => m.state), ['already-present', 'applied']);
    assert.equal(patched.report.state, 'applied');
    assert.match(patched.contents['mm/f.c']?.toString() ?? '', /\treturn 5;[\s\S]*\treturn 4;/);
  });

  it('names the hunk and its closest match when a patch does not apply', async () => {
    const t = tree();
    const wrong = CLEAN.replace(' \t\treturn 2;', ' \t\treturn 7;');
    await assert.rejects(applyPatches(t.source, await loadPatchFiles([t.write('w.patch', wrong)], t.root), t.log, { repair: true }),
      (e: unknown) => e instanceof PatchError && /w\.patch does not apply to test:tiny: mm\/f\.c:6: patch failed/.test(e.message)
        && /mm\/f\.c hunk 1 \(@@ -6,6 \+6,6 @@\): not found even with whitespace and blank lines normalised: closest match at line 6 \(5 of 6 lines; at line 9 the hunk expects "return 7;", the file has "return 2;"\)/.test(e.message));
  });

  it('reads git\'s offsets and ranks a series by its worst message', () => {
    assert.deepEqual(parseOffsets('Checking patch x...\nHunk #1 succeeded at 14 (offset 9 lines).\nHunk #2 succeeded at 30.\n'), ['hunk 1 applies at line 14 (offset 9 lines)']);
    const m = (state: Parameters<typeof seriesState>[0][number]['state']) => ({ file: 'f', index: 1, subject: null, state, notes: [] });
    assert.equal(seriesState([m('applied'), m('applied-with-offset')]), 'applied-with-offset');
    assert.equal(seriesState([m('applied-after-repair'), m('does-not-apply')]), 'does-not-apply');
    assert.equal(seriesState([m('already-present'), m('already-present')]), 'already-present');
    assert.equal(seriesState([m('already-present'), m('applied')]), 'applied');
  });
});
