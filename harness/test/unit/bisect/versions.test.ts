// `bisect --versions` over local kernel trees listed out of order, with each
// step's answer given by an oracle: the kernels are ordered by the version
// their Makefile names, and the first one where the case changes is found.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Ctx } from '../../../src/stage.ts';
import type { KernelEntry, MatrixConfig } from '../../../src/plan/config.ts';
import { silentReporter } from '../../../src/progress.ts';
import { bisectVersions } from '../../../src/bisect/versions.ts';
import type { BisectStep } from '../../../src/bisect/record.ts';
import type { StepRequest } from '../../../src/bisect/step.ts';

function tree(root: string, version: string): KernelEntry {
  const [v, p, s] = version.split('.');
  const dir = join(root, `linux-${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Makefile'), `VERSION = ${v}\nPATCHLEVEL = ${p}\nSUBLEVEL = ${s ?? 0}\nEXTRAVERSION =\n`);
  return { id: `k${version}`, source: { provider: 'local', path: dir } };
}

describe('bisect/versions (oracle steps, local trees)', function () {
  this.timeout(60_000);

  it('orders the kernels by version and finds the first one where the case passes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvmatrix-versions-'));
    try {
      const kernels = ['6.12.117', '5.19.17', '6.3.13', '6.1.176', '6.2.16', '6.6.60'].map((v) => tree(root, v));
      const tested: string[] = [];
      const oracle = async (_ctx: Ctx, req: StepRequest): Promise<{ step: BisectStep }> => {
        tested.push(req.commit);
        const fixedFrom = ['k6.3.13', 'k6.6.60', 'k6.12.117'].includes(req.commit);
        const term = fixedFrom ? 'new' : 'old';
        return { step: {
          n: req.n, commit: req.commit, subject: req.subject, term, said: req.terms[term], attempts: 1, build: null, stageMs: {}, durationMs: 1, at: '',
          evidence: { cellState: 'ok', caseOutcome: fixedFrom ? 'pass' : 'fail', reason: 'oracle', error: null, logs: { dir: `steps/${req.n}` } },
        } };
      };
      const ctx: Ctx = { cacheDir: join(root, 'cache'), report: silentReporter };
      const { record } = await bisectVersions(ctx, {
        config: { file: '/configs/m.yaml', sha256: '0'.repeat(64) } as MatrixConfig, kernels, caseId: 's/case', suite: 's', arch: 'x86_64',
        variant: { name: 'base', patches: [] }, fixed: true, accel: 'tcg', outDir: join(root, 'run'), runStep: oracle,
      });
      assert.deepEqual(record.request.kernels, ['k5.19.17', 'k6.1.176', 'k6.2.16', 'k6.3.13', 'k6.6.60', 'k6.12.117']);
      assert.deepEqual(record.answer, { status: 'found', commit: 'k6.3.13', subject: '6.3.13', version: '6.3.13', change: { from: 'broken', to: 'fixed' } });
      // Oldest, newest, then halving: 5.19, 6.12, 6.2, 6.3 (6.1 and 6.6 never needed).
      assert.deepEqual(tested, ['k5.19.17', 'k6.12.117', 'k6.2.16', 'k6.3.13']);
      assert.match(readFileSync(join(root, 'run', 'bisect.md'), 'utf8'), /First version where s\/case changes: k6\.3\.13 \(6\.3\.13\)\*\* \(broken before it, fixed from it\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
