// The synthetic history on a tiny tree: the planted series at its place with
// its own subject and author, the build break and its mend, the same commit
// ids every time, and reuse from the cache.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { run } from '../../../src/exec/run.ts';
import { join } from 'node:path';
import { BREAK_FILE, makeSyntheticHistory } from '../../../src/bisect/synthetic-history.ts';
import { loadPatchFiles } from '../../../src/patch/series.ts';
import { FIXTURES_DIR } from '../../golden.ts';
import { tinyHistory } from './helpers.ts';

const show = async (repo: string, args: string[]) => (await run('git', [`--git-dir=${repo}`, ...args])).stdout;

describe('bisect/synthetic-history', function () {
  this.timeout(60_000);

  it('plants the series and the build break where asked, deterministically', async () => {
    const a = await tinyHistory({ commits: 8, plantAt: 5, breakAt: 3 });
    const b = await tinyHistory({ commits: 8, plantAt: 5, breakAt: 3 });
    try {
      const { history } = a;
      assert.equal(history.commits.length, 9);
      assert.deepEqual(b.history.commits, history.commits, 'same tree and layout, same commit ids');
      assert.equal(history.planted, history.commits[5]?.commit);
      assert.equal(history.commits[5]?.subject, 'mm/tiny: keep the soft-dirty bit');
      assert.match(await show(history.repo, ['show', '-s', '--format=%an <%ae>', history.planted]), /^Jane Hacker <jane@example.org>/);
      assert.match(await show(history.repo, ['show', `${history.planted}:mm/userfaultfd.c`]), /keeps soft-dirty/);
      assert.match(await show(history.repo, ['show', `${history.commits[3]?.commit}:${BREAK_FILE}`]), /#error/);
      assert.doesNotMatch(await show(history.repo, ['show', `${history.commits[4]?.commit}:${BREAK_FILE}`]), /#error/);
      assert.equal((await show(history.repo, ['rev-list', '--count', 'main'])).trim(), '9');
      assert.equal((await show(history.repo, ['rev-parse', 'synthetic-root'])).trim(), history.commits[0]?.commit);
    } finally {
      rmSync(a.root, { recursive: true, force: true });
      rmSync(b.root, { recursive: true, force: true });
    }
  });

  it('is reused from the cache once made, without reading the tree again', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 4, plantAt: 2 });
    try {
      assert.ok(history.madeMs > 0);
      const series = await loadPatchFiles([join(FIXTURES_DIR, 'bisect', 'tiny-series')], FIXTURES_DIR);
      const again = await makeSyntheticHistory({ cacheDir, tree: '/nonexistent', treeIdentity: 'local:tiny', series, commits: 4, plantAt: 2, logPath: '/dev/null' });
      assert.equal(again.madeMs, 0);
      assert.equal(again.repo, history.repo);
      assert.deepEqual(again.commits, history.commits);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
