// The tolerant diff reader, the whitespace repair and the already-present
// check, on the seed email as archived and the real mm/userfaultfd.c of
// Debian's 6.1 and 6.12 (harness/test/fixtures/patch/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHunk, parseDiff } from '../../../src/patch/diff.ts';
import { guessIndent, repairDiff } from '../../../src/patch/repair.ts';
import { diffPresence, describePresence } from '../../../src/patch/present.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { FIXTURES_DIR } from '../../golden.ts';

const SEED = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-v1-as-posted/uffd-wp-softdirty-patch.eml.txt'), 'utf8');
const V1 = SEED.slice(0, SEED.indexOf('From 779b36768328'));
const FIXUP = SEED.slice(SEED.indexOf('From 779b36768328'));
const TREE_61 = readFileSync(join(FIXTURES_DIR, 'patch/6.1.176-mm-userfaultfd.c'), 'utf8');
const TREE_612 = readFileSync(join(FIXTURES_DIR, 'patch/6.12.117-mm-userfaultfd-880-960.c'), 'utf8');
const only = (text: string) => () => text;

/** A one-hunk diff of `file` with the given body lines (prefixes included). */
function diff(body: string[], header = '@@ -1,3 +1,3 @@'): string {
  return ['diff --git a/f.c b/f.c', '--- a/f.c', '+++ b/f.c', header, ...body, ''].join('\n');
}

describe('patch/diff: the tolerant reader', () => {
  it('reads the seed v1 as one mangled hunk: 9 context lines without their prefix, 5 removed, 13 added', () => {
    const d = parseDiff(V1);
    assert.equal(d.mangled, true);
    assert.equal(d.files.length, 1);
    const h = d.files[0]?.hunks[0];
    assert.ok(h);
    assert.equal(h.oldStart, 727);
    assert.equal(h.lines.filter((l) => l.kind === 'context').length, 9);
    assert.equal(h.lines.filter((l) => l.unprefixed).length, 9);
    assert.equal(h.lines.filter((l) => l.kind === 'remove').length, 5);
    assert.equal(h.lines.filter((l) => l.kind === 'add').length, 13);
  });

  it('ends the diff where the archive\'s prose resumes, and at a signature', () => {
    const d = parseDiff(V1);
    assert.equal(d.files[0]?.hunks[0]?.lines.at(-1)?.text, '}');
    const f = parseDiff(FIXUP).files[0]?.hunks[0];
    assert.equal(f?.lines.at(-1)?.text, 'change_protection(&tlb, dst_vma, start, start + len, mm_cp_flags);');
  });

  it('reads a clean diff as not mangled, a blank context line whose space a mailer trimmed included', () => {
    const d = parseDiff(diff([' a', '', '-b', '+B'], '@@ -1,3 +1,3 @@'));
    assert.equal(d.mangled, false);
    assert.deepEqual(d.files[0]?.hunks[0]?.lines.map((l) => l.kind), ['context', 'context', 'remove', 'add']);
  });

  it('writes a hunk back with its counts recomputed', () => {
    assert.deepEqual(formatHunk({ oldStart: 5, newStart: 6, section: 'f()', lines: [{ kind: 'context', text: 'a' }, { kind: 'add', text: 'b' }] }),
      ['@@ -5 +6,2 @@ f()', ' a', '+b']);
  });
});

describe('patch/repair: the archive\'s whitespace undone', () => {
  it('relocates the seed v1 to lines 736-751 of 6.1.176 and rebuilds it from the tree', () => {
    const r = repairDiff(parseDiff(V1), only(TREE_61));
    assert.ok(r.ok, r.ok ? '' : r.refusal.message);
    assert.equal(r.hunks[0]?.repairedHeader, '@@ -736,16 +736,24 @@ ssize_t mcopy_continue(struct mm_struct *dst_mm, unsigned long start,');
    assert.match(r.hunks[0]?.note ?? '', /found at lines 736-751 with whitespace normalised; 2 blank context line\(s\) restored, 13 added line\(s\) re-indented/);
    const lines = r.text.split('\n');
    // Context comes from the tree, tabs and all; the blank lines the archive dropped are back.
    assert.ok(lines.includes(' void uffd_wp_range(struct mm_struct *dst_mm, struct vm_area_struct *dst_vma,'));
    assert.ok(lines.includes(' \t\t   unsigned long start, unsigned long len, bool enable_wp)'));
    assert.equal(lines.filter((l) => l === ' ').length, 2);
    // Added lines get C's indentation back: after "{", after an unbraced if/else, comment continuations, a continued call.
    for (const l of ['+\tunsigned int mm_cp_flags;', '+\t\tmm_cp_flags = MM_CP_UFFD_WP;', '+\t/*', '+\t * Try upgrading write permissions manually.',
      '+\t */', '+\tif (vma_wants_manual_pte_write_upgrade(dst_vma))', '+\t\tmm_cp_flags |= MM_CP_TRY_CHANGE_WRITABLE;',
      '+\tchange_protection(&tlb, dst_vma, start, start + len, vma->vm_page_prot,', '+\t\t\t  mm_cp_flags);']) {
      assert.ok(lines.includes(l), `missing ${JSON.stringify(l)} in\n${r.text}`);
    }
  });

  it('refuses a hunk that matches only partially (the fixup against v1 applied), naming the closest match and the line that differs', () => {
    const v1 = repairDiff(parseDiff(V1), only(TREE_61));
    assert.ok(v1.ok);
    // The tree with v1 applied, as the overlay has it.
    const applied = TREE_61.split('\n');
    const added = v1.text.split('\n').filter((l) => /^[ +]/.test(l) && !l.startsWith('+++')).map((l) => l.slice(1));
    applied.splice(735, 16, ...added);
    const r = repairDiff(parseDiff(FIXUP), only(applied.join('\n')));
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.refusal.reason, 'no-match');
    assert.equal(r.refusal.closest?.matched, 6);
    assert.equal(r.refusal.closest?.of, 7);
    assert.equal(r.refusal.closest?.difference?.expected, 'change_protection(&tlb, dst_vma, start, start + len, mm_cp_flags);');
    assert.equal(r.refusal.closest?.difference?.found, 'change_protection(&tlb, dst_vma, start, start + len, vma->vm_page_prot,');
    assert.match(r.refusal.message, /^mm\/userfaultfd\.c hunk 1 \(@@ -741,7 \+741,7 @@\): not found even with whitespace and blank lines normalised: closest match at line 749 \(6 of 7 lines/);
  });

  it('refuses an ambiguous match, listing every place', () => {
    const tree = 'int a;\n{\n\tx = 1;\n}\nint b;\n{\n\tx = 1;\n}\n';
    const r = repairDiff(parseDiff(diff(['{', '- x = 1;', '+ x = 2;', '}'])), only(tree));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.refusal.reason, 'ambiguous');
      assert.match(r.refusal.message, /matches at lines 2, 6 with whitespace normalised: refusing to guess/);
    }
  });

  it('refuses a hunk found nowhere, and one with nothing to locate it by', () => {
    const none = repairDiff(parseDiff(diff(['int q;', '- int r;', '+ int s;'])), only('int a;\nint b;\n'));
    assert.equal(none.ok, false);
    if (!none.ok) {
      assert.equal(none.refusal.reason, 'no-match');
      assert.match(none.refusal.message, /no line of it is in the file/);
    }
    const bare = repairDiff(parseDiff(diff(['+ int s;'], '@@ -3,0 +3,1 @@')), only('int a;\n'));
    assert.equal(bare.ok, false);
    if (!bare.ok) assert.equal(bare.refusal.reason, 'no-context');
  });

  it('refuses a file the tree does not have, and a message holding two diffs of one file', () => {
    const missing = repairDiff(parseDiff(diff(['a', '-b', '+c'])), () => null);
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.equal(missing.refusal.reason, 'no-file');
    const twice = repairDiff(parseDiff(SEED), only(TREE_61));
    assert.equal(twice.ok, false);
    if (!twice.ok) assert.equal(twice.refusal.reason, 'repeated-file');
  });

  it('keeps the indentation of added lines that still have a tab', () => {
    const r = repairDiff(parseDiff(diff(['{', '-\tx = 1;', '+\t\t  x = 2;', '}'])), only('int a;\n{\n\tx = 1;\n}\n'));
    assert.ok(r.ok);
    assert.ok(r.text.includes('+\t\t  x = 2;'));
  });

  it('guesses indentation from C\'s shape', () => {
    const ctx = (t: string) => [{ kind: 'context' as const, text: t }];
    assert.equal(guessIndent(' return 0;', ctx('\tif (x)'), undefined, undefined), '\t\treturn 0;');
    assert.equal(guessIndent(' }', ctx('\t\tfoo();'), undefined, undefined), '\t}');
    assert.equal(guessIndent(' * more', ctx('\t/*'), undefined, undefined), '\t * more');
    assert.equal(guessIndent(' bar();', ctx('\tfoo();'), '\t\t\told();', undefined), '\t\t\tbar();');
    assert.equal(guessIndent(' bar();', [], undefined, '\tnext();'), '\tbar();');
  });
});

describe('patch/present: is the change already in the tree?', () => {
  it('finds v1 in 6.12 in a later form: 8 of 11 added lines, none of the removed ones left', () => {
    const p = diffPresence(parseDiff(V1), only(TREE_612));
    assert.equal(p.presence, 'later-form');
    const h = p.hunks[0];
    assert.ok(h);
    assert.equal(h.addedFound, 8);
    assert.equal(h.addedTotal, 11);
    assert.equal(h.removedLeft, 0);
    assert.deepEqual(h.missing, ['if (vma_wants_manual_pte_write_upgrade(dst_vma))', 'change_protection(&tlb, dst_vma, start, start + len, vma->vm_page_prot,', 'mm_cp_flags);']);
    assert.match(describePresence(h), /^mm\/userfaultfd\.c:\d+: 8 of 11 added lines there, none of the removed ones left; reworked since: "if \(vma_wants/);
  });

  it('finds the fixup in 6.12 as it is', () => {
    assert.equal(diffPresence(parseDiff(FIXUP), only(TREE_612)).presence, 'present');
  });

  it('does not call v1 present in 6.1, where its removed lines still are', () => {
    const p = diffPresence(parseDiff(V1), only(TREE_61));
    assert.equal(p.presence, 'absent');
    assert.ok((p.hunks[0]?.removedLeft ?? 0) > 0);
  });

  it('needs two thirds of the added lines for "later form", and no removed line left', () => {
    const d = parseDiff(diff(['ctx_line_one();', '- old_call_number_one();', '+ new_call_number_one();', '+ new_call_number_two();', '+ new_call_number_three();']));
    assert.equal(diffPresence(d, only('ctx_line_one();\nnew_call_number_one();\nnew_call_number_two();\nsomething_else();\n')).presence, 'later-form');
    assert.equal(diffPresence(d, only('ctx_line_one();\nnew_call_number_one();\nother();\nsomething_else();\n')).presence, 'absent');
    assert.equal(diffPresence(d, only('old_call_number_one();\nnew_call_number_one();\nnew_call_number_two();\nnew_call_number_three();\n')).presence, 'absent');
  });
});
