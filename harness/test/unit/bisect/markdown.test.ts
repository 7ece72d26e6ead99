// bisect.md rendered from recorded bisect.json files, byte for byte against
// its golden beside each fixture (UPDATE_GOLDEN=1 to accept a change).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { assertMatchesGolden, FIXTURES_DIR } from '../../golden.ts';
import { renderBisectMarkdown } from '../../../src/bisect/markdown.ts';
import { bisectExitCode, type BisectRecord } from '../../../src/bisect/record.ts';

const dir = join(FIXTURES_DIR, 'bisect');
const records = readdirSync(dir).filter((f) => f.endsWith('.record.json')).sort();

describe('bisect/markdown', () => {
  it('has fixtures', () => assert.ok(records.length >= 4));
  for (const f of records) {
    it(`renders ${f}`, () => {
      const record = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BisectRecord;
      assertMatchesGolden(renderBisectMarkdown(record), join(dir, f.replace(/\.record\.json$/, '.md')));
    });
  }

  it('puts the answer first, in the form the kernel cites commits', () => {
    const fixed = JSON.parse(readFileSync(join(dir, 'fixed-found.record.json'), 'utf8')) as BisectRecord;
    const md = renderBisectMarkdown(fixed);
    assert.match(md.split('\n')[2] ?? '', /^\*\*First fixed commit: 21a1b2c3d4e5 \("mm\/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range\(\)"\)\*\*/);
    assert.match(md, /^commit 21a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6ab upstream\.$/m);
    const regression = renderBisectMarkdown({ ...fixed, request: { ...fixed.request, fixed: false }, terms: { old: 'good', new: 'bad', newOutcome: 'fail' } });
    assert.match(regression, /^Fixes: 21a1b2c3d4e5 \("mm\/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range\(\)"\)$/m);
  });

  it('exits 0 with an answer, 1 when skips hide it, 2 for a swapped range, 69 when the host failed', () => {
    assert.equal(bisectExitCode({ status: 'found', commit: 'a', subject: 's' }), 0);
    assert.equal(bisectExitCode({ status: 'ambiguous', candidates: [] }), 1);
    assert.equal(bisectExitCode({ status: 'aborted', code: 'BISECT_NOT_ANCESTORS', reason: '' }), 2);
    assert.equal(bisectExitCode({ status: 'aborted', code: 'BISECT_INFRA', reason: '' }), 69);
  });
});
