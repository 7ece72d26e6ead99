import assert from 'node:assert/strict';
import { join } from 'node:path';
import { renderMarkdown, wrap } from '../../../src/report/markdown.ts';
import type { RunSummary } from '../../../src/results/types.ts';
import { FIXTURES, loadRun } from './helpers.ts';
import { assertMatchesGolden } from '../../golden.ts';

describe('report/markdown', () => {
  const run = loadRun();
  const md = renderMarkdown(run);
  const lines = md.split('\n');

  it('matches the golden rendering of the 6.1 run', () => {
    assertMatchesGolden(md, join(FIXTURES, 'run-6.1.golden.md'));
  });

  it('starts with the one-line verdict, then the unexpected outcomes before the matrix', () => {
    assert.equal(lines[0], run.overall.line);
    const unexpected = lines.indexOf('## Unexpected outcomes (1)');
    const results = lines.findIndex((l) => l.startsWith('## Results'));
    assert.ok(unexpected > 0 && unexpected < results, 'unexpected section comes first');
    assert.match(lines[unexpected + 2] ?? '', /^- thp_private_unprotect_softdirty on 6\.1\/x86_64 base: expected fail, got pass/);
  });

  it('has one table row per case with compact verdicts per kernel/arch column', () => {
    const header = lines.find((l) => l.startsWith('| case'));
    assert.ok(header);
    assert.deepEqual(header.split('|').slice(2, -1).map((s) => s.trim()), ['6.1/x86_64', '6.1/arm64', '6.12/x86_64', '6.12/arm64']);
    const row = (name: string) => lines.find((l) => l.startsWith(`| ${name} `))?.split('|').slice(2, -1).map((s) => s.trim());
    // 6.12/arm64's base hung before init started sshd: the kernel's own failure, so CRASHED, not INFRA.
    assert.deepEqual(row('shmem_memfd_unregister_softdirty'), ['FIXED', 'skip¹', 'pass', 'CRASHED']);
    assert.deepEqual(row('uffd_wp_fault_delivered_anon'), ['pass', 'skip³', 'pass', 'CRASHED']);
    assert.deepEqual(row('thp_private_unprotect_softdirty'), ['pass!', 'skip¹', 'pass', 'CRASHED']);
    // The patched kernel's new WARN (base has none) regresses its column.
    assert.deepEqual(row('console/findings'), ['REGRESSED', 'pass', 'pass', 'FAIL']);
    assert.equal(lines.filter((l) => /^\| (softdirty|shmem|anon|thp|uffd|exit|console)/.test(l)).length, run.matrix.rows.length);
  });

  it('gives each skip reason once, as a footnote naming its column', () => {
    const reason = 'soft-dirty not supported: pagemap bit 55 never set after write';
    assert.equal(md.split(reason).length - 1, 1);
    assert.match(md, /^¹ skip on 6\.1\/arm64 \(9 cases\): soft-dirty not supported/m);
    assert.match(md, /^³ skip on 6\.1\/arm64 \(2 cases\): UFFDIO_REGISTER MODE_WP: EINVAL/m);
  });

  it('says plainly which variant did not apply or boot, per column', () => {
    assert.match(md, /^- v1-as-posted on 6\.1\/x86_64: does not apply: mm\/userfaultfd\.c: corrupt patch at line 67/m);
    assert.match(md, /^- base on 6\.12\/arm64: did not boot: guest did not answer SSH within 120 s/m);
  });

  it('lists the metrics that differ between variants, console findings and the cell table', () => {
    assert.match(md, /^- anon_private_faults_after_unprotect on 6\.1\/x86_64: faults_after_unprotect: base 64, patched 0$/m);
    assert.doesNotMatch(md, /pages: base 64/, 'equal metrics are not notable');
    assert.match(md, /^- 6\.1\/x86_64\/patched: warning at console\.log:14: WARNING: CPU: 1 PID: 268 at mm\/mprotect\.c:62/m);
    assert.match(md, /^\| 6\.1\/x86_64\/patched +\| ok +\| kvm +\| incremental 52s \(3 obj\) +\| 4\.4s +\|/m);
    assert.match(md, /^\| 6\.1\/x86_64\/base +\| ok +\| kvm +\| cached +\|/m);
  });

  it('keeps every line but the verdict within 100 columns', () => {
    const long = lines.slice(1).filter((l) => [...l].length > 100);
    assert.deepEqual(long, []);
  });

  it('renders a run where nothing ran', () => {
    const empty: RunSummary = {
      ...run,
      cells: [],
      matrix: { columns: [], variants: [], rows: [], unexpected: [], warnings: [], counts: { fixed: 0, regressed: 0, 'still-failing': 0, pass: 0, skip: 0, 'infra-error': 0, flaky: 0, fail: 0, lost: 0, crashed: 0, missing: 0 } },
      overall: { verdict: 'not-validated', exitCode: 1, line: 'NOT VALIDATED: no case went from failing to passing', unexpected: [], blockers: ['no case went from failing on base to passing on a variant'] },
      complete: false,
    };
    const out = renderMarkdown(empty);
    assert.match(out, /^NOT VALIDATED/);
    assert.match(out, /No case ran\./);
    assert.match(out, /the run is incomplete: \d+ planned cell\(s\) have no result/);
  });

  it('wraps on word boundaries with a hanging indent', () => {
    assert.deepEqual(wrap('- aaa bbb ccc ddd', 9, '  '), ['- aaa bbb', '  ccc ddd']);
    assert.deepEqual(wrap('averyveryverylongword x', 5, '  '), ['averyveryverylongword', '  x']);
  });
});
