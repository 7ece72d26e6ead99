// The whole bisection loop over a real (tiny) git history, with each step's
// answer given by an oracle instead of a build and a boot: git's bookkeeping,
// the skip policy, the record, resuming after an interruption and the
// answer. The real steps run in the end-to-end test.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from '../../../src/stage.ts';
import type { MatrixConfig } from '../../../src/plan/config.ts';
import { silentReporter } from '../../../src/progress.ts';
import { bisectCommits, type BisectCommitsRequest } from '../../../src/bisect/commits.ts';
import { expectedSteps } from '../../../src/bisect/git-output.ts';
import type { BisectRecord, BisectStep } from '../../../src/bisect/record.ts';
import type { StepRequest } from '../../../src/bisect/step.ts';
import type { SyntheticHistory } from '../../../src/bisect/synthetic-history.ts';
import { tinyHistory } from './helpers.ts';

const CASE = 'softdirty-uffdwp/shmem_memfd_unprotect_softdirty';

/** Before the planted commit the case fails, from it on it passes; the broken commit does not build. */
function oracle(history: SyntheticHistory, plantAt: number, breakAt: number | undefined, tested: string[], stopAfter = Infinity) {
  return async (_ctx: Ctx, req: StepRequest): Promise<{ step: BisectStep }> => {
    if (tested.length >= stopAfter) throw new Error('interrupted');
    tested.push(req.commit);
    const i = history.commits.findIndex((c) => c.commit === req.commit);
    const term = i === breakAt ? 'skip' : i >= plantAt ? 'new' : 'old';
    const said = term === 'skip' ? 'skip' : req.terms[term];
    return {
      step: {
        n: req.n, commit: req.commit, subject: req.subject, term, said, attempts: 1, build: null, stageMs: {}, durationMs: 1, at: new Date().toISOString(),
        evidence: { cellState: term === 'skip' ? 'build-failed' : 'ok', caseOutcome: term === 'skip' ? null : term === 'new' ? 'pass' : 'fail', reason: `oracle ${i}`, error: null, logs: { dir: `steps/${req.n}` } },
      },
    };
  };
}

function request(root: string, history: SyntheticHistory, extra: Partial<BisectCommitsRequest>): BisectCommitsRequest {
  return {
    config: { file: '/configs/matrix.yaml', sha256: '0'.repeat(64) } as MatrixConfig, caseId: CASE, suite: 'softdirty-uffdwp', arch: 'x86_64',
    variant: { name: 'base', patches: [] }, fixed: true, source: history.repo, bad: 'synthetic-root', good: 'HEAD', accel: 'tcg', outDir: join(root, 'run'), ...extra,
  };
}

describe('bisect/commits (oracle steps, real git)', function () {
  this.timeout(60_000);

  it('finds the planted commit in ceil(log2 N) steps, and one more for a build break', async () => {
    for (const breakAt of [undefined, 24]) {
      const { root, cacheDir, history } = await tinyHistory({ commits: 32, plantAt: 21, breakAt });
      try {
        const tested: string[] = [];
        const ctx: Ctx = { cacheDir, report: silentReporter };
        const { record } = await bisectCommits(ctx, request(root, history, { runStep: oracle(history, 21, breakAt, tested) }));
        assert.deepEqual(record.answer, { status: 'found', commit: history.planted, subject: 'mm/tiny: keep the soft-dirty bit' });
        assert.equal(record.range.candidates, 32);
        assert.ok(record.steps.length <= expectedSteps(32) + (breakAt ? 1 : 0), `${record.steps.length} steps`);
        if (breakAt) {
          const skip = record.steps.find((s) => s.term === 'skip');
          assert.equal(skip?.commit, history.broken);
          // The skip's neighbour is tested next, not a commit far away.
          const next = record.steps[(skip?.n ?? 0)];
          assert.ok([23, 25].includes(history.commits.findIndex((c) => c.commit === next?.commit)));
        }
        const md = readFileSync(join(root, 'run', 'bisect.md'), 'utf8');
        assert.match(md, /^\*\*First fixed commit: [0-9a-f]{12} \("mm\/tiny: keep the soft-dirty bit"\)\*\*/m);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });

  it('resumes an interrupted bisection from its recorded steps', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 32, plantAt: 21, breakAt: 24 });
    try {
      const ctx: Ctx = { cacheDir, report: silentReporter };
      const first: string[] = [];
      await assert.rejects(bisectCommits(ctx, request(root, history, { runStep: oracle(history, 21, 24, first, 3) })), /interrupted/);
      const saved = JSON.parse(readFileSync(join(root, 'run', 'bisect.json'), 'utf8')) as BisectRecord;
      assert.equal(saved.steps.length, 3);
      assert.equal(saved.answer.status, 'running');
      const second: string[] = [];
      const { record } = await bisectCommits(ctx, request(root, history, { runStep: oracle(history, 21, 24, second) }));
      assert.equal(record.answer.status, 'found');
      assert.deepEqual(record.steps.map((s) => s.commit), [...first, ...second]);
      assert.equal(second.filter((c) => first.includes(c)).length, 0, 'no recorded step runs again');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('hunts a regression with the default terms, and refuses swapped ends', async () => {
    const { root, cacheDir, history } = await tinyHistory({ commits: 8, plantAt: 5 });
    try {
      const ctx: Ctx = { cacheDir, report: silentReporter };
      // As a regression: the planted commit is where the case starts failing.
      const regression = async (c: Ctx, req: StepRequest) => {
        const r = await oracle(history, 5, undefined, [])(c, req);
        const term = r.step.term === 'new' ? 'new' : 'old';
        return { step: { ...r.step, term, said: req.terms[term] } } as { step: BisectStep };
      };
      const { record } = await bisectCommits(ctx, request(root, history, { fixed: false, good: 'synthetic-root', bad: 'main', runStep: regression, outDir: join(root, 'r1') }));
      assert.equal(record.answer.status, 'found');
      assert.equal((record.answer as { commit: string }).commit, history.planted);
      assert.ok(readFileSync(join(root, 'r1', 'bisect.md'), 'utf8').includes(`Fixes: ${history.planted.slice(0, 12)} ("mm/tiny: keep the soft-dirty bit")`));
      const swapped = await bisectCommits(ctx, request(root, history, { fixed: false, good: 'main', bad: 'synthetic-root', runStep: regression, outDir: join(root, 'r2') }));
      assert.equal(swapped.record.answer.status, 'aborted');
      assert.equal((swapped.record.answer as { code: string }).code, 'BISECT_NOT_ANCESTORS');
      await assert.rejects(bisectCommits(ctx, request(root, history, { good: 'no-such-ref', runStep: regression, outDir: join(root, 'r3') })), /names no commit/);
      await assert.rejects(bisectCommits(ctx, request(root, history, { good: 'main', bad: 'HEAD', runStep: regression, outDir: join(root, 'r4') })), /are the same commit/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
