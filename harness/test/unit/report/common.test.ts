import assert from 'node:assert/strict';
import {
  caseKtapLines, cleanText, describeProblem, formatDuration, notableMetrics, skipNotes, tailLines,
} from '../../../src/report/common.ts';
import { renderAll } from '../../../src/report/index.ts';
import { loadLogs, loadRun } from './helpers.ts';

describe('report/common', () => {
  const run = loadRun();

  it('formats durations for prose and for tables', () => {
    assert.deepEqual([850, 4_270, 38_950, 61_157, 612_000, 3_725_000].map((ms) => formatDuration(ms)),
      ['850 ms', '4.3 s', '39 s', '1 min 01 s', '10 min 12 s', '1 h 02 min']);
    assert.deepEqual([850, 4_270, 61_157].map((ms) => formatDuration(ms, true)), ['850ms', '4.3s', '1m01s']);
    assert.equal(formatDuration(Number.NaN), '?');
  });

  it('cleans log text: ANSI codes out, CR/LF to LF, invalid characters shown as U+FFFD', () => {
    assert.equal(cleanText('\u001b[0;31mred\u001b[0m\r\nnext\rline\u0000\u0007\uD800ok😀'), 'red\nnext\nline\uFFFD\uFFFD\uFFFDok😀');
  });

  it('keeps the last lines of a log and says how many were dropped', () => {
    const t = tailLines('1\n2\n3\n4\n', 2);
    assert.deepEqual(t, { lines: ['3', '4'], total: 4, dropped: 2 });
    assert.match(tailLines('x'.repeat(1500), 5, 1000).lines[0] ?? '', / …\[500 more chars\]$/);
  });

  it('states a cell problem plainly', () => {
    assert.equal(describeProblem('patch-failed', 'configs/p/x.eml does not apply to debian:linux-source-6.1=6.1.119-1: mm/userfaultfd.c: corrupt patch at line 67'),
      'does not apply: mm/userfaultfd.c: corrupt patch at line 67 (patch x.eml)');
    assert.equal(describeProblem('boot-failed', 'boot-failed: kernel panic: Kernel panic - not syncing: VFS'), 'did not boot: kernel panic: Kernel panic - not syncing: VFS');
    assert.equal(describeProblem('build-failed', 'mm/userfaultfd.c:741: error: implicit declaration'), 'does not build: mm/userfaultfd.c:741: error: implicit declaration');
    assert.equal(describeProblem('timeout', undefined), 'timed out');
  });

  it('numbers each distinct skip reason once across the table', () => {
    const { notes, numberOf } = skipNotes(run);
    assert.deepEqual(notes.map((n) => [n.number, n.columns, n.count]), [[1, ['6.1/arm64'], 9], [2, ['6.1/arm64'], 1], [3, ['6.1/arm64'], 2]]);
    assert.equal(numberOf('softdirty_uffdwp/uffd_wp_fault_delivered_anon', '6.1/arm64'), 3);
    assert.equal(numberOf('softdirty_uffdwp/uffd_wp_fault_delivered_anon', '6.1/x86_64'), null);
  });

  it('picks numeric metrics that differ between variants', () => {
    assert.deepEqual(notableMetrics(run), [{
      caseId: 'softdirty_uffdwp/anon_private_faults_after_unprotect', colId: '6.1/x86_64', metric: 'faults_after_unprotect',
      values: [['base', 64], ['patched', 0]],
    }]);
  });

  it('takes the KTAP lines of a case from the suite output', () => {
    const cell = run.cells.find((c) => c.id === '6.1/x86_64/base');
    assert.ok(cell);
    const logs = loadLogs(run)[cell.id];
    const first = caseKtapLines(cell, 'softdirty_uffdwp/softdirty_sanity_write_sets_bit', logs);
    assert.equal(first?.source, 'log');
    assert.equal(first?.firstLine, 3);
    assert.deepEqual(first?.lines.slice(-1), ['ok 1 softdirty_sanity_write_sets_bit']);
    assert.match(first?.lines[0] ?? '', /^# kvmatrix-selftest v1 softdirty_uffdwp/);
    const last = caseKtapLines(cell, 'softdirty_uffdwp/anon_private_faults_after_unprotect', logs);
    assert.deepEqual(last?.lines, ['# faults_after_unprotect=64 pages=64', 'ok 12 anon_private_faults_after_unprotect']);
    assert.equal(caseKtapLines(cell, 'softdirty_uffdwp/no_such_case', logs), null);
  });

  it('finds a case by name when the caller passed only the tail of the suite output', () => {
    const cell = run.cells.find((c) => c.id === '6.1/x86_64/base');
    assert.ok(cell);
    const out = loadLogs(run)[cell.id]?.find((l) => l.name === 'softdirty_uffdwp.out');
    assert.ok(out);
    const tail = ['[... 10 earlier lines in /r/cells/x/softdirty_uffdwp.out]', ...out.text.split('\n').slice(10)].join('\n');
    const k = caseKtapLines(cell, 'softdirty_uffdwp/shmem_anon_unprotect_softdirty', [{ name: 'softdirty_uffdwp.out', text: tail }]);
    assert.equal(k?.source, 'log');
    assert.equal(k?.firstLine, null, 'line numbers of a tail are not the parser\'s');
    assert.deepEqual(k?.lines.map((l) => l.slice(0, 40)), ['# shmem_anon_unprotect_softdirty: MAP_SH', 'not ok 6 shmem_anon_unprotect_softdirty']);
  });

  it('rebuilds the lines of a case the output never reached', () => {
    const cell = structuredClone(run.cells.find((c) => c.id === '6.1/x86_64/base'));
    const suite = cell?.suites[0];
    const c = suite?.cases[11];
    assert.ok(cell && suite && c);
    c.outcome = 'error';
    c.reason = 'missing: output ended before this case (crashed?)';
    const head = loadLogs(run)[cell.id]?.find((l) => l.name === 'softdirty_uffdwp.out')?.text.split('\n').slice(0, 20).join('\n') ?? '';
    const k = caseKtapLines(cell, c.id, [{ name: 'softdirty_uffdwp.out', text: head }]);
    assert.equal(k?.source, 'results');
    assert.equal(k?.lines.at(-1), 'not ok 12 anon_private_faults_after_unprotect # ERROR missing: output ended before this case (crashed?)');
  });

  it('renders all three files', () => {
    const all = renderAll(run, { logs: loadLogs(run) });
    assert.deepEqual(Object.keys(all).sort(), ['junit.xml', 'matrix.md', 'report.html']);
    assert.ok(all['matrix.md'].startsWith(run.overall.line));
  });
});
