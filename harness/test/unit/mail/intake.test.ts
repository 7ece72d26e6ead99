// Mail intake: the seed as a web archive shows it, a real `git format-patch`
// mbox with a cover letter, MIME bodies (quoted-printable, base64, an attached
// patch), a series out of order, versions, resends and what is missing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../../../src/exec/run.ts';
import { readMail } from '../../../src/mail/intake.ts';
import { inputKind, splitMbox } from '../../../src/mail/message.ts';
import { parseSubject } from '../../../src/mail/subject.ts';
import { parseDiff } from '../../../src/patch/diff.ts';
import { configsDir } from '../../../src/util/paths.ts';

const SEED = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-v1-as-posted/uffd-wp-softdirty-patch.eml.txt'), 'utf8');

/** A real git repository with three commits on mm/a.c and `git format-patch --cover-letter -v2` of them, as one mbox. */
async function formatPatchMbox(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-fp-'));
  const env = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.org', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.org',
    GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z', GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const git = async (...args: string[]) => {
    const r = await run('git', args, { cwd: dir, env });
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  };
  await git('init', '-q');
  writeFileSync(join(dir, 'a.c'), 'int a(void)\n{\n\treturn 1;\n}\n');
  await git('add', 'a.c');
  await git('commit', '-qm', 'base');
  for (const n of [2, 3, 4]) {
    writeFileSync(join(dir, 'a.c'), `int a(void)\n{\n\treturn ${n};\n}\n`);
    await git('commit', '-qam', `mm: a returns ${n}\n\nBecause ${n}.`);
  }
  return git('format-patch', '--stdout', '--cover-letter', '-v2', '--thread', '-3');
}

function mail(headers: Record<string, string>, body: string): string {
  return `${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}`;
}

const DIFF = 'diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 1;\n+\treturn 2;\n }\n';

describe('mail/intake: patches out of mail', () => {
  it('reads the seed archive page: the quoted v1 patch, its fixup, and no Message-ID', async () => {
    const i = await readMail([{ name: 'uffd-wp-softdirty-patch.eml.txt', text: SEED }]);
    assert.equal(i.series.length, 1);
    const v1 = i.series[0];
    assert.ok(v1);
    assert.equal(v1.origin, 'quoted');
    assert.equal(v1.subject.posted, '[PATCH v1 1/2] mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()');
    assert.equal(v1.from, 'David Hildenbrand');
    assert.match(v1.description, /^uffd_wp_range\(\) currently calculates page protection manually/);
    assert.match(v1.description, /Signed-off-by: David Hildenbrand/);
    assert.ok(parseDiff(v1.diff).mangled, 'the archive\'s mangling is kept: the patch stage repairs it');
    assert.doesNotMatch(v1.diff, /following optimization/, 'the prose after the diff is not part of it');
    assert.equal(i.fixups.length, 1);
    assert.equal(i.fixups[0]?.fixes, 0);
    assert.equal(i.fixups[0]?.patch.subject.title, 'fixup: mm/userfaultfd: enable writenotify while userfaultfd-wp is enabled for a VMA');
    assert.match(i.fixups[0]?.patch.diff ?? '', /^\+ if \(!enable_wp && vma_wants_manual_pte_write_upgrade\(dst_vma\)\)$/m);
    assert.doesNotMatch(i.fixups[0]?.patch.diff ?? '', /2\.38\.1|Thanks/, 'the signature is not part of the diff');
    assert.deepEqual(i.thread, { messageId: null, subject: v1.subject.posted, from: 'David Hildenbrand', date: 'Sat Dec 24 2022 - 12:00:44 EST', archivePage: true });
    assert.ok(i.notes.some((n) => /patch 2\/2 of the series is not in the input/.test(n)));
  });

  it('reads a real git format-patch mbox: cover letter set aside, series in order, thread to the cover letter', async () => {
    const mbox = await formatPatchMbox();
    assert.equal(inputKind(mbox), 'mbox');
    assert.equal(splitMbox(mbox).length, 4);
    const i = await readMail([{ name: 'series.mbox', text: mbox }]);
    assert.deepEqual(i.series.map((p) => p.subject.posted), ['[PATCH v2 1/3] mm: a returns 2', '[PATCH v2 2/3] mm: a returns 3', '[PATCH v2 3/3] mm: a returns 4']);
    assert.equal(i.version, 2);
    assert.ok(i.cover);
    assert.match(i.thread.subject, /^\[PATCH v2 0\/3\] /);
    assert.equal(i.thread.messageId, i.cover?.messageId);
    assert.match(i.thread.messageId ?? '', /^<.+@.+>$/);
    assert.equal(i.series[0]?.description, 'Because 2.');
    assert.equal(parseDiff(i.series[0]?.diff ?? '').mangled, false);
    assert.match(i.series[2]?.diff ?? '', /^\+\treturn 4;$/m);
  });

  it('splits an mbox only at From_ lines after a blank line, and undoes mboxrd\'s >From quoting', () => {
    const box = `From a@b Thu Jan  1 00:00:00 1970\nSubject: one\n\n>From here on\n>>From quoted\n\nFrom b@c Thu Jan  1 00:00:00 1970\nSubject: two\n\nbody\n`;
    const msgs = splitMbox(box);
    assert.equal(msgs.length, 2);
    assert.match(msgs[0] ?? '', /^From here on\n>From quoted$/m);
  });

  it('orders a series given out of order (files in any order, or one mbox shuffled)', async () => {
    const mbox = await formatPatchMbox();
    const [cover, p1, p2, p3] = splitMbox(mbox).map((m) => `From ${'0'.repeat(40)} Mon Sep 17 00:00:00 2001\n${m}`);
    const i = await readMail([{ name: '3', text: p3 as string }, { name: '1', text: p1 as string }, { name: 'c', text: cover as string }, { name: '2', text: p2 as string }]);
    assert.deepEqual(i.series.map((p) => p.subject.index), [1, 2, 3]);
  });

  it('decodes quoted-printable and base64 bodies, and a patch sent as an attachment', async () => {
    const qpDiff = DIFF.replace(/\t/g, '=09').replace('+=09return 2;', '+=09return =\n2;');
    const qp = mail({ From: 'A <a@x>', Subject: '[PATCH 1/3] mm: qp', 'Message-ID': '<1@x>', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': 'quoted-printable' }, `Body=3D1\n---\n${qpDiff}`);
    const b64 = mail({ From: '=?UTF-8?q?J=C3=B6rg?= <j@x>', Subject: '[PATCH 2/3] mm: b64', 'Message-ID': '<2@x>', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': 'base64' },
      Buffer.from(`Body\n---\n${DIFF}`).toString('base64').replace(/(.{76})/g, '$1\n'));
    const attached = mail({ From: 'A <a@x>', Subject: '[PATCH 3/3] mm: attached', 'Message-ID': '<3@x>', 'MIME-Version': '1.0', 'Content-Type': 'multipart/mixed; boundary="XX"' },
      `--XX\nContent-Type: text/plain\n\nSee attached.\n--XX\nContent-Type: text/x-patch; name="0003.patch"\nContent-Disposition: attachment; filename="0003.patch"\nContent-Transfer-Encoding: base64\n\n${Buffer.from(DIFF).toString('base64')}\n--XX--\n`);
    const i = await readMail([{ name: 'qp.eml', text: qp }, { name: 'b64.eml', text: b64 }, { name: 'att.eml', text: attached }]);
    assert.deepEqual(i.series.map((p) => p.diff), [DIFF, DIFF, DIFF]);
    assert.equal(i.series[1]?.from, 'Jörg <j@x>');
    assert.equal(i.series[0]?.description, 'Body=1');
    assert.equal(i.thread.messageId, '<1@x>');
  });

  it('keeps the newest version, the last resend of a position, and says so', async () => {
    const m = (subject: string, id: string, n: number) => mail({ From: 'A <a@x>', Subject: subject, 'Message-ID': id }, `x\n---\n${DIFF.replace('return 2', `return ${n}`)}`);
    const i = await readMail([
      { name: 'a', text: m('[PATCH 1/1] mm: x', '<v1@x>', 1) },
      { name: 'b', text: m('[PATCH v2 1/1] mm: x', '<v2@x>', 2) },
      { name: 'c', text: m('[PATCH v2 1/1] mm: x', '<v2b@x>', 3) },
    ]);
    assert.equal(i.series.length, 1);
    assert.equal(i.series[0]?.messageId, '<v2b@x>');
    assert.ok(i.notes.some((n) => /set aside v1: validating v2/.test(n)));
    assert.ok(i.notes.some((n) => /patch 1 appears twice/.test(n)));
  });

  it('takes a reply\'s fixup as a fixup of the patch it answers, and a plain diff file as a patch', async () => {
    const patch = mail({ From: 'A <a@x>', Subject: '[PATCH] mm: x', 'Message-ID': '<p@x>' }, `x\n---\n${DIFF}`);
    const reply = mail({ From: 'A <a@x>', Subject: 'Re: [PATCH] mm: x', 'Message-ID': '<r@x>', 'In-Reply-To': '<p@x>' },
      `> quoted\n\nSquash this:\n\nFrom ${'1'.repeat(40)} Mon Sep 17 00:00:00 2001\nFrom: A <a@x>\nSubject: [PATCH] fixup! mm: x\n\nfix\n---\n${DIFF.replace('return 2', 'return 9')}-- \n2.39.5\n`);
    const i = await readMail([{ name: 'p.eml', text: patch }, { name: 'r.eml', text: reply }]);
    assert.equal(i.series.length, 1);
    assert.equal(i.fixups.length, 1);
    assert.equal(i.fixups[0]?.patch.subject.fixes, 'mm: x');
    const plain = await readMail([{ name: 'fix.diff', text: DIFF }]);
    assert.equal(plain.series[0]?.diff, DIFF);
    assert.equal(plain.thread.subject, 'fix.diff');
  });

  it('refuses mail without a diff, naming the input', async () => {
    await assert.rejects(readMail([{ name: 'chat.eml', text: mail({ From: 'A <a@x>', Subject: 'hello' }, 'no patch here\n') }]), /MAIL_NO_PATCH|no patch found in chat\.eml/);
  });

  it('parses subjects: replies, tags, versions, positions, fixups', () => {
    assert.deepEqual(parseSubject('Re: RE: [RFC PATCH net-next v3 2/5] net: foo'), {
      posted: '[RFC PATCH net-next v3 2/5] net: foo', title: 'net: foo', reply: true, patch: true, version: 3, index: 2, total: 5, fixup: false, fixes: null,
    });
    assert.equal(parseSubject('[PATCH 0/2] cover').index, 0);
    assert.equal(parseSubject('[PATCH] fixup! mm: bar').fixes, 'mm: bar');
    assert.equal(parseSubject('no tag').patch, false);
  });
});
