// reply.txt and the 80-column text it shares with matrix.md.
import assert from 'node:assert/strict';
import { renderReply, replyVerdict, type ReplyContext } from '../../../src/report/reply.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { foldMatrix, plainTable } from '../../../src/report/text.ts';
import { backportRun, presentRun, seedRun } from './validate-runs.ts';

const SEED_CTX: ReplyContext = {
  thread: { messageId: null, subject: '[PATCH v1 1/2] mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()', from: 'David Hildenbrand', date: 'Sat Dec 24 2022', archivePage: true },
  variants: [{ name: 'v1', label: 'as posted' }, { name: 'v1-fixup', label: 'as posted + fixup' }],
  suites: ['softdirty-uffdwp', 'kselftest-mm'],
  notes: ['patch 2/2 of the series is not in the input: validating 1/2 alone'],
  testedBy: 'Dev Eloper <dev@example.org>',
};
const BACKPORT_CTX: ReplyContext = {
  ...SEED_CTX,
  thread: { messageId: '<20221224140236.1-david@redhat.com>', subject: '[PATCH] mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()', from: 'David', date: null, archivePage: false },
  variants: [{ name: 'patch', label: 'as posted' }],
  notes: [],
};

const within80 = (text: string) => text.split('\n').filter((l) => [...l].length > 80);

describe('report/reply: the reply to the thread', () => {
  it('tells the seed\'s story: repaired, then does not build on 6.1, with both compiler errors; the fixup does not apply', () => {
    const r = renderReply(seedRun(), SEED_CTX);
    assert.deepEqual(within80(r), []);
    const flat = r.replace(/\n {2,}/g, ' ');
    assert.match(r, /^Subject: Re: \[PATCH v1 1\/2\] mm\/userfaultfd: rely on vma->vm_page_prot in\n uffd_wp_range\(\)$/m);
    assert.doesNotMatch(r, /^In-Reply-To:/m, 'an archive page has no Message-ID to answer');
    assert.match(flat, /no Message-ID \(a web archive page\): add In-Reply-To: by hand/);
    assert.match(r, /^NOT VALIDATED: v1 applies after repair, then does not build on 6\.1\/x86_64 \(\+1\n {2}more below\)$/m);
    assert.match(flat, /implicit declaration of function 'vma_wants_manual_pte_write_upgrade'/);
    assert.match(flat, /mm\/userfaultfd\.c:757:62: error: 'vma' undeclared \(first use in this function\); did you mean 'dst_vma'\?/);
    assert.match(flat, /- v1-fixup on 6\.1\/x86_64: does not apply/);
    assert.match(flat, /closest match at line 749 \(6 of 7 lines/);
    assert.match(flat, /repaired diff: cells\/6\.1_x86_64_v1\/patch-repaired-1\.diff/);
    assert.doesNotMatch(r, /^Tested-by:/m, 'not validated: no Tested-by');
    assert.match(r, /patch 2\/2 of the series is not in the input/);
  });

  it('puts each variant per kernel in a few words, base first', () => {
    const lines = renderReply(seedRun(), SEED_CTX).split('\n');
    const at = lines.findIndex((l) => l.startsWith('6.1/x86_64 6.1.176'));
    assert.ok(at > 0);
    assert.match(lines[at + 1] ?? '', /^4 fail +base \(unpatched\)$/);
    assert.match(lines[at + 2] ?? '', /^repaired, no build +v1 \(as posted\)$/);
    assert.match(lines[at + 3] ?? '', /^does not apply +v1-fixup \(as posted \+ fixup\)$/);
  });

  it('says VALIDATED with the fixed cases, the In-Reply-To of the patch, and a Tested-by: line', () => {
    const r = renderReply(backportRun(), BACKPORT_CTX);
    assert.deepEqual(within80(r), []);
    assert.match(r, /^In-Reply-To: <20221224140236\.1-david@redhat\.com>\nReferences: <20221224140236\.1-david@redhat\.com>\nSubject: Re: \[PATCH\] /);
    assert.match(r, /^VALIDATED: 4 case\(s\) fixed, nothing regressed, all 2 planned cell\(s\) in$/m);
    assert.match(r, /^fixes 4 +patch \(as posted\)$/m);
    assert.match(r, /^FIXED +softdirty-uffdwp\/shmem_memfd_unregister_softdirty$/m);
    assert.match(r, /^2[0-9] cases pass everywhere \(not listed\)\.$/m);
    assert.match(r, /^Tested-by: Dev Eloper <dev@example\.org>$/m);
    assert.doesNotMatch(r, /kselftest-mm\/soft-dirty\/Test/, 'the long kselftest names that all pass are folded away');
  });

  it('says a kernel that already has the change has it, instead of "does not apply"', () => {
    const run = presentRun();
    assert.equal(run.overall.verdict, 'not-validated');
    assert.match(replyVerdict(run), /^NOT VALIDATED: nothing to test: the change is already in 6\.12\/x86_64$/);
    const r = renderReply(run, SEED_CTX);
    assert.deepEqual(within80(r), []);
    assert.doesNotMatch(r, /does not apply/);
    assert.match(r.replace(/\n {2,}/g, ' '), /already present in a later form: mm\/userfaultfd\.c:907: 8 of 11 added lines there/);
  });

  it('renders the same runs as matrix.md within 80 columns, the Patch section first', () => {
    for (const run of [seedRun(), backportRun(), presentRun()]) {
      const md = renderMarkdown(run);
      assert.deepEqual(within80(md), []);
    }
    const md = renderMarkdown(seedRun());
    assert.ok(md.indexOf('## Patch') < md.indexOf('## Results'));
    assert.match(md, /^- v1 on 6\.1\/x86_64: applies after repair, then does not build$/m);
  });
});

describe('report/text: 80-column tables and the folded matrix', () => {
  it('lists only rows with something to say, leading with fixes; counts the rest', () => {
    const f = foldMatrix(backportRun().matrix);
    assert.deepEqual(f.listed.map((r) => r.caseId.split('/').pop()), ['shmem_memfd_unregister_softdirty', 'shmem_memfd_unprotect_softdirty', 'shmem_anon_unregister_softdirty', 'shmem_anon_unprotect_softdirty']);
    assert.equal(f.passEverywhere, backportRun().matrix.rows.length - 4);
  });

  it('wraps the free-text column under itself and keeps short columns aligned', () => {
    const t = plainTable(['a', 'case'], [['FIXED', 'Test test_mprotect-anon soft-dirty clear after marking RO and some more words to wrap']], 40);
    assert.deepEqual(t, ['a      case', 'FIXED  Test test_mprotect-anon', '       soft-dirty clear after marking RO', '       and some more words to wrap']);
  });

  it('puts the free text on its own line when the columns leave too little room', () => {
    const t = plainTable(['c1', 'c2', 'name'], [['REGRESSED', 'STILL-FAILING', 'averylongcasename_without_spaces']], 30);
    assert.deepEqual(t, ['name', '  c1         c2', 'averylongcasename_without_', '    spaces', '  REGRESSED  STILL-FAILING']);
  });
});
