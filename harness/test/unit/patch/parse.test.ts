import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePatchFile, summarizeApplyError, touchedFiles } from '../../../src/patch/parse.ts';
import { configsDir } from '../../../src/util/paths.ts';

describe('patch parsing', () => {
  it('reads the 6.1 backport as one git format-patch message with subject, author and body', () => {
    const text = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-6.1/0001-mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range.patch'), 'utf8');
    const [m, ...rest] = parsePatchFile(text);
    assert.equal(rest.length, 0);
    assert.equal(m?.subject, 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()');
    assert.equal(m?.author, 'David Hildenbrand <david@redhat.com>');
    assert.match(m?.body ?? '', /931298e103c2/);
    assert.deepEqual(m?.files, ['mm/userfaultfd.c']);
  });

  it('reads the seed email verbatim: a reply whose quoted diff touches mm/userfaultfd.c', () => {
    const text = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-v1-as-posted/uffd-wp-softdirty-patch.eml.txt'), 'utf8');
    const msgs = parsePatchFile(text);
    assert.equal(msgs.length, 1);
    assert.deepEqual(msgs[0]?.files, ['mm/userfaultfd.c']);
  });

  it('splits an mbox of several format-patch mails in order', () => {
    const mail = (n: number, file: string) => `From ${'a'.repeat(40)} Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH ${n}/2] change ${n}\n\nbody ${n}\n---\ndiff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-x\n+y\n`;
    const msgs = parsePatchFile(mail(1, 'a.c') + mail(2, 'b.c'));
    assert.deepEqual(msgs.map((m) => [m.index, m.subject, m.files[0]]), [[1, 'change 1', 'a.c'], [2, 'change 2', 'b.c']]);
  });

  it('lists files of a plain diff, including created and deleted ones', () => {
    assert.deepEqual(touchedFiles('--- /dev/null\n+++ b/new.c\n@@ @@\n--- a/old.c\n+++ /dev/null\n'), ['new.c', 'old.c']);
  });

  it('summarizes git apply errors into file, line and reason', () => {
    assert.deepEqual(summarizeApplyError('error: patch failed: mm/userfaultfd.c:738\nerror: mm/userfaultfd.c: patch does not apply\n'),
      { file: 'mm/userfaultfd.c', line: 738, reason: 'patch failed: mm/userfaultfd.c:738; mm/userfaultfd.c: patch does not apply' });
    assert.equal(summarizeApplyError('error: corrupt patch at line 67\n').line, 67);
  });
});
