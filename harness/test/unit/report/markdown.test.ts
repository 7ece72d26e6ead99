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

  it('has one verdict-first row per listed case, a column per kernel/arch, the case name last', () => {
    const header = lines.findIndex((l) => l.startsWith('6.1/x86_64 '));
    assert.ok(header > 0);
    assert.equal(lines[header - 1], '```text', 'the table is a fenced block: it reads the same rendered or not');
    assert.deepEqual(lines[header]?.split(/\s+/), ['6.1/x86_64', '6.1/arm64', '6.12/x86_64', '6.12/arm64', 'case']);
    const row = (name: string) => lines.find((l) => l.endsWith(` ${name}`))?.split(/\s+/).slice(0, -1);
    // 6.12/arm64's base hung before init started sshd: the kernel's own failure, so CRASHED, not INFRA.
    assert.deepEqual(row('shmem_memfd_unregister_softdirty'), ['FIXED', 'skip¹', 'pass', 'CRASHED']);
    assert.deepEqual(row('uffd_wp_fault_delivered_anon'), ['pass', 'skip³', 'pass', 'CRASHED']);
    assert.deepEqual(row('thp_private_unprotect_softdirty'), ['pass!', 'skip¹', 'pass', 'CRASHED']);
    // The patched kernel's new WARN (base has none) regresses its column.
    assert.deepEqual(row('console/findings'), ['REGRESSED', 'pass', 'pass', 'FAIL']);
  });

  it('leads with what changed or surprised: the unmet expectation, then the regression, then the fixes', () => {
    const header = lines.findIndex((l) => l.startsWith('6.1/x86_64 '));
    const names = lines.slice(header + 1, header + 7).map((l) => l.split(/\s+/).pop());
    assert.deepEqual(names, ['thp_private_unprotect_softdirty', 'console/findings', 'shmem_memfd_unregister_softdirty',
      'shmem_memfd_unprotect_softdirty', 'shmem_anon_unregister_softdirty', 'shmem_anon_unprotect_softdirty']);
  });

  it('folds rows that pass everywhere (or pass and skip) into a count', () => {
    const passing: RunSummary = JSON.parse(JSON.stringify(run)) as RunSummary;
    // Without the column whose base hung, most rows pass or skip only.
    passing.matrix.columns = passing.matrix.columns.filter((c) => c.id !== '6.12/arm64');
    for (const row of passing.matrix.rows) delete row.cells['6.12/arm64'];
    const out = renderMarkdown(passing);
    assert.match(out.replace(/\n/g, ' '), /1 case passes everywhere; 7 more cases pass where they run and skip elsewhere \(not listed\)\./);
    assert.doesNotMatch(out, / softdirty_sanity_write_sets_bit$/m, 'a folded row is not listed');
    assert.match(out, / shmem_memfd_unregister_softdirty$/m, 'a fixed row is');
  });

  it('gives each skip reason once, as a footnote naming its column', () => {
    const reason = 'soft-dirty not supported: pagemap bit 55 never set after write';
    assert.equal(md.replace(/\n {2}/g, ' ').split(reason).length - 1, 1);
    assert.match(md, /^¹ skip on 6\.1\/arm64 \(9 cases\): soft-dirty not supported/m);
    assert.match(md, /^³ skip on 6\.1\/arm64 \(2 cases\): UFFDIO_REGISTER MODE_WP: EINVAL/m);
  });

  it('says plainly which variant did not apply or boot, per column', () => {
    const flat = md.replace(/\n {2}/g, ' ');
    assert.match(flat, /^- v1-as-posted on 6\.1\/x86_64: does not apply: mm\/userfaultfd\.c: corrupt patch at line 67/m);
    assert.match(flat, /^- base on 6\.12\/arm64: did not boot: guest did not answer SSH within 120 s/m);
  });

  it('says once per cell that the cases a dead kernel never reached never ran', () => {
    assert.match(md.replace(/\n {2}/g, ' '), /^- 13 cases on 6\.12\/arm64 base never ran: boot-failed: guest did not answer SSH/m);
    assert.doesNotMatch(md, /softdirty_sanity_write_sets_bit on 6\.12\/arm64 base: crashed/);
  });

  it('lists the metrics that differ between variants, console findings and the cell table', () => {
    const flat = md.replace(/\n {2}/g, ' ');
    assert.match(flat, /^- anon_private_faults_after_unprotect on 6\.1\/x86_64: faults_after_unprotect: base 64, patched 0$/m);
    assert.doesNotMatch(md, /pages: base 64/, 'equal metrics are not notable');
    assert.match(flat, /^- 6\.1\/x86_64\/patched: warning at console\.log:14: WARNING: CPU: 1 PID: 268 at mm\/mprotect\.c:62/m);
    assert.match(md, /^ok +kvm +\+3 obj 52s +4\.4s +1m01s +6\.1\/x86_64\/patched$/m);
    assert.match(md, /^ok +kvm +cached +4\.3s +9\.4s +6\.1\/x86_64\/base$/m);
  });

  it('keeps every line within 80 columns', () => {
    const long = lines.filter((l) => [...l].length > 80);
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

  it('wraps on word boundaries with a hanging indent, cutting only a word wider than the line', () => {
    assert.deepEqual(wrap('- aaa bbb ccc ddd', 9, '  '), ['- aaa bbb', '  ccc ddd']);
    assert.deepEqual(wrap('averyveryverylongword x', 10, '  '), ['averyver', '  yverylon', '  gword x']);
  });
});
