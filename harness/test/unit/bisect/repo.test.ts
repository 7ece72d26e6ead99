// The bisect work tree on a tiny synthetic history: refs as users write
// them, a checkout that rewrites only what changed (so make stays
// incremental), a variant's files undone before the next commit, the
// Kconfig inputs that decide whether to configure again, and the lock.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bisectGitTuning, checkoutCommit, commitSubject, countCandidates, kconfigInputs, openBisectTree, resolveCommit, writePatchedFiles } from '../../../src/bisect/repo.ts';
import { BREAK_FILE } from '../../../src/bisect/synthetic-history.ts';
import { tinyHistory } from './helpers.ts';

describe('bisect/repo', function () {
  this.timeout(60_000);

  it('resolves refs, counts candidates and moves one work tree from commit to commit', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 6, plantAt: 4, breakAt: 2 });
    const log = join(root, 'git.log');
    const tree = await openBisectTree(cacheDir, history.repo, log);
    try {
      const at = (i: number) => history.commits[i]?.commit as string;
      assert.equal(await resolveCommit(tree, 'HEAD'), at(6));
      assert.equal(await resolveCommit(tree, 'HEAD~6'), at(0));
      assert.equal(await resolveCommit(tree, 'main^'), at(5));
      assert.equal(await resolveCommit(tree, 'synthetic-root'), at(0));
      assert.equal(await resolveCommit(tree, at(3).slice(0, 10)), at(3));
      for (const bad of ['nope', '--all', 'a..b', 'HEAD HEAD']) assert.equal(await resolveCommit(tree, bad), null, bad);
      assert.equal(await countCandidates(tree, at(0), at(6)), 6);
      assert.equal(await commitSubject(tree, at(4)), 'mm/tiny: keep the soft-dirty bit');

      await checkoutCommit(tree, at(1), log);
      const untouched = join(tree.src, 'mm/userfaultfd.c');
      const before = statSync(untouched).mtimeMs;
      await new Promise((r) => setTimeout(r, 50));
      await checkoutCommit(tree, at(2), log);
      assert.match(readFileSync(join(tree.src, BREAK_FILE), 'utf8'), /#error/);
      assert.equal(statSync(untouched).mtimeMs, before, 'a file the commits share keeps its mtime');
      await checkoutCommit(tree, at(4), log);
      assert.doesNotMatch(readFileSync(join(tree.src, BREAK_FILE), 'utf8'), /#error/);
      assert.match(readFileSync(untouched, 'utf8'), /keeps soft-dirty/);
      assert.ok(statSync(untouched).mtimeMs > before, 'a changed file is rewritten');
      assert.equal(existsSync(join(tree.src, '.git')), false, 'no .git in the tree (setlocalversion would mark the release)');
    } finally {
      await tree.release();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('undoes a variant\'s files before the next checkout, and keys configuring on the Kconfig inputs', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 4, plantAt: 3 });
    const log = join(root, 'git.log');
    const tree = await openBisectTree(cacheDir, history.repo, log);
    try {
      const at = (i: number) => history.commits[i]?.commit as string;
      await checkoutCommit(tree, at(1), log);
      await writePatchedFiles(tree, { key: 'k', touched: ['mm/new.c', 'mm/userfaultfd.c'], contents: { 'mm/new.c': Buffer.from('new\n'), 'mm/userfaultfd.c': Buffer.from('patched\n') }, report: { state: 'applied', messages: [], evidence: [] } });
      assert.equal(readFileSync(join(tree.src, 'mm/userfaultfd.c'), 'utf8'), 'patched\n');
      await checkoutCommit(tree, at(2), log);
      assert.equal(existsSync(join(tree.src, 'mm/new.c')), false);
      assert.match(readFileSync(join(tree.src, 'mm/userfaultfd.c'), 'utf8'), /loses soft-dirty/);
      // No commit of the history touches a Kconfig file: one configuration serves them all.
      assert.equal(await kconfigInputs(tree, at(0)), await kconfigInputs(tree, at(4)));
    } finally {
      await tree.release();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('allows one bisection per source at a time', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 2, plantAt: 1 });
    const retries = bisectGitTuning.lockRetries;
    bisectGitTuning.lockRetries = 0;
    const tree = await openBisectTree(cacheDir, history.repo, join(root, 'git.log'));
    try {
      await assert.rejects(openBisectTree(cacheDir, history.repo, join(root, 'git.log')), /another bisection/);
    } finally {
      bisectGitTuning.lockRetries = retries;
      await tree.release();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
