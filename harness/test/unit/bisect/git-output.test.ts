// The parsers of `git bisect` and `git rev-list --bisect-all` on outputs
// recorded from git 2.39 (harness/test/fixtures/bisect).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../golden.ts';
import { commitReference, expectedSteps, nextAfterSkip, parseBisectAll, parseBisectOutput } from '../../../src/bisect/git-output.ts';

const fixture = (name: string) => readFileSync(join(FIXTURES_DIR, 'bisect', name), 'utf8');

describe('bisect/git-output', () => {
  it('reads the next commit with git\'s estimate', () => {
    assert.deepEqual(parseBisectOutput(fixture('next.txt')), {
      kind: 'next', commit: '96cdf2bb382323e49da35864a329df739bf63edd', subject: 'c16', revisionsLeft: 15, stepsLeft: 4,
    });
  });

  it('reads the answer, with custom terms and with the default ones', () => {
    assert.deepEqual(parseBisectOutput(fixture('found-fixed.txt')), { kind: 'found', commit: '2c2b62d797a004bdee0c87f68a6df79ccc37b5f0', term: 'fixed' });
    assert.deepEqual(parseBisectOutput(fixture('found-at-once.txt')), { kind: 'found', commit: 'c5d4b076479d2d4e5719bca2dd15c920d15b8cd3', term: 'bad' });
  });

  it('lists every candidate when only skipped commits are left', () => {
    assert.deepEqual(parseBisectOutput(fixture('only-skipped.txt')), {
      kind: 'only-skipped',
      candidates: ['3e11e395ecfddd3cc140e540a0a74cdd4af32f39', '8dea1e70744e405aa20a94cb1651cee96f04fb2d', 'c5d4b076479d2d4e5719bca2dd15c920d15b8cd3'],
    });
  });

  it('tells a merge base to test, a swapped range, waiting and anything else apart', () => {
    assert.deepEqual(parseBisectOutput(fixture('merge-base.txt')), { kind: 'merge-base', commit: 'b80713498ce6372f015dfc8954742f386df336d7', subject: 'c11' });
    assert.equal(parseBisectOutput(fixture('not-ancestors.txt')).kind, 'not-ancestors');
    assert.equal(parseBisectOutput(fixture('waiting.txt')).kind, 'waiting');
    const odd = parseBisectOutput(fixture('both-terms.txt'));
    assert.equal(odd.kind, 'unknown');
    assert.match((odd as { text: string }).text, /was both broken and fixed/);
    assert.deepEqual(parseBisectOutput(''), { kind: 'unknown', text: '' });
  });

  it('ranks the candidates left, decorated or not', () => {
    const ranked = parseBisectAll(fixture('bisect-all-after-skip.txt'));
    assert.equal(ranked.length, 16);
    assert.deepEqual(ranked[0], { commit: 'd664b54b9a828e1c2143736b9632c500b6452f6f', dist: 8 });
    assert.deepEqual(ranked[1], { commit: '87e8ff82716735cd0317ed7c2fa667a99a259e6e', dist: 7 });
  });

  it('after a skip, tests the best-halving neighbour rather than jumping away', () => {
    const ranked = parseBisectAll(fixture('bisect-all-after-skip.txt'));
    const skipped = new Set([fixture('bisect-all-after-skip.skipped').trim()]);
    assert.equal(nextAfterSkip(ranked, skipped, new Set()), '87e8ff82716735cd0317ed7c2fa667a99a259e6e');
    // Already tested commits and the ends (dist 0) are never picked; nothing left: null.
    assert.equal(nextAfterSkip(ranked, skipped, new Set(['87e8ff82716735cd0317ed7c2fa667a99a259e6e'])), 'e18156f98aa203c52d170eeeb7dc38addc5f45ca');
    assert.equal(nextAfterSkip(ranked, new Set(ranked.map((r) => r.commit)), new Set()), null);
    assert.equal(nextAfterSkip([{ commit: 'a'.repeat(40), dist: 0 }], new Set(), new Set()), null);
  });

  it('expects ceil(log2 N) steps and cites commits the kernel way', () => {
    assert.deepEqual([0, 1, 2, 3, 16, 17, 32, 33].map(expectedSteps), [0, 0, 1, 2, 4, 5, 5, 6]);
    assert.equal(commitReference('931298e103c2d6a2dde9a1fa0a0e3b11d8b6f2b9', 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()'),
      '931298e103c2 ("mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()")');
  });
});
