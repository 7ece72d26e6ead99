import assert from 'node:assert/strict';
import { renderAll } from '../../../src/report/index.ts';
import { loadRun } from './helpers.ts';

describe('report warnings', () => {
  it('show an expectation that matched nothing in every report (md, html, junit)', () => {
    const run = loadRun();
    const warning = 'expectation #7 (cases softdirty_uffdwp/shmem_*; arches x86-64: expect fail) matched nothing in this run';
    const out = renderAll({ ...run, matrix: { ...run.matrix, warnings: [warning] } });
    assert.match(out['matrix.md'], /## Warnings \(1\)\n\n- expectation #7 .*arches x86-64/);
    assert.ok(out['report.html'].includes('id="warnings"') && out['report.html'].includes('arches x86-64: expect fail'));
    assert.ok(out['junit.xml'].includes(`warning: ${warning}`));
  });
});
