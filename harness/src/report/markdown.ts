// matrix.md: the run as a mailing-list reply. Plain text first (it is pasted
// into mail), Markdown second: every line fits 80 columns, tables are
// fixed-width text in fenced blocks (they read the same rendered or not), the
// matrix leads with what changed or surprised and folds the rows that pass
// everywhere into a count, and every reason is said once (skip reasons are
// footnotes, cases a dead kernel never reached are one line per cell).
import type { CellResult, MatrixColumn, RunSummary, Verdict } from '../results/types.ts';
import {
  CELL_PROBLEM_STATES, VERDICT_LABEL, VERDICT_MEANING, VERDICT_ORDER,
  caseLabel, caseName, columnIdOf, commonSuite, describeProblem, failureLine, findingHeadline,
  formatDuration, notableMetrics, skipNotes, superscript, variantOrder,
} from './common.ts';
import { MAIL_WIDTH, bullet, foldMatrix, foldedLine, oneLine, plainTable, wrap } from './text.ts';
import { patchLines } from './patch-text.ts';

export { wrap } from './text.ts';

const WIDTH = MAIL_WIDTH;
const MAX_FAILURES = 20;

export function renderMarkdown(run: RunSummary): string {
  const suite = commonSuite(run.matrix.rows);
  const patch = patchLines(run);
  const out = [
    ...summaryLines(run),
    ...attentionLines(run, suite),
    ...(patch.length > 0 ? section('Patch', patch) : []),
    ...section(suite ? `Results (suite ${suite})` : 'Results', resultLines(run, suite)),
    ...problemLines(run),
    ...diagnosticLines(run, suite),
    ...failureSection(run, suite),
    ...findingLines(run),
    ...section('Cells', fenced(plainTable(['state', 'accel', 'build', 'boot', 'total', 'cell'], run.cells.map((c) => [
      c.state, c.accel ?? '-', buildText(c), c.boot ? formatDuration(c.boot.toSshMs, true) : '-', formatDuration(c.durationMs, true), c.id,
    ])))),
  ];
  return `${out.join('\n')}\n`;
}

/** The verdict line, what ran where, and the counts. */
function summaryLines(run: RunSummary): string[] {
  const out = [...wrap(oneLine(run.overall.line), WIDTH, '  '), ''];
  out.push(...wrap(`kvmatrix ${run.harnessVersion}, run ${run.runId}, config ${run.config.name} (${run.config.file})`, WIDTH, '  '));
  const qemu = [...new Set(Object.values(run.host.qemu))];
  out.push(...wrap(`${run.cells.length} cell(s) on an ${run.host.arch} host (${run.host.cpus} CPUs)${qemu.length > 0 ? `, qemu ${qemu.join('/')}` : ''}.`, WIDTH, '  '));
  if (!run.complete) {
    const missing = (run.plan ?? []).filter((p) => !run.cells.some((c) => c.id === p.id)).length;
    out.push(...wrap(`Note: the run is incomplete: ${missing} planned cell(s) have no result.`, WIDTH, '  '));
  }
  if (run.shard) out.push(...wrap(`Note: shard ${run.shard.index}/${run.shard.count}: other shards hold the remaining cells.`, WIDTH, '  '));
  out.push(...wrap(countsLine(run.matrix.counts), WIDTH, '  '));
  return out;
}

/** Why not validated, warnings and unexpected outcomes: before the matrix. */
function attentionLines(run: RunSummary, suite: string | null): string[] {
  const out: string[] = [];
  const blockers = (run.overall.blockers ?? []).filter((b) => !b.startsWith('unexpected: '));
  if (run.overall.verdict !== 'validated' && blockers.length > 0) {
    out.push(...section(`Why not validated (${blockers.length})`, blockers.flatMap((b) => bullet(suite ? b.split(`${suite}/`).join('') : b))));
  }
  const warnings = run.matrix.warnings ?? [];
  if (warnings.length > 0) out.push(...section(`Warnings (${warnings.length})`, warnings.flatMap((w) => bullet(w))));
  const unexpected = run.overall.unexpected;
  if (unexpected.length > 0) {
    out.push(...section(`Unexpected outcomes (${unexpected.length})`, unexpected.flatMap((u) => bullet(suite ? u.replace(`${suite}/`, '') : u))));
  }
  return out;
}

function fenced(lines: string[]): string[] {
  return ['```text', ...lines, '```'];
}

/** The rows worth reading as a verdict-first table, the rest as a count, what each column compares, the legend and the skip footnotes. */
function resultLines(run: RunSummary, suite: string | null): string[] {
  const m = run.matrix;
  if (m.rows.length === 0 || m.columns.length === 0) return ['No case ran.'];
  const { notes, numberOf } = skipNotes(run);
  const folded = foldMatrix(m);
  const unmet = (row: (typeof m.rows)[number], colId: string) => row.cells[colId]?.expected?.some((e) => !e.met) ?? false;
  const body = folded.listed.map((row) => [
    ...m.columns.map((col) => {
      const cell = row.cells[col.id];
      if (!cell) return '-';
      const n = numberOf(row.caseId, col.id);
      return `${VERDICT_LABEL[cell.verdict]}${n !== null ? superscript(n) : ''}${unmet(row, col.id) ? '!' : ''}`;
    }),
    caseLabel(row.caseId, suite),
  ]);
  const out = body.length > 0 ? [...fenced(plainTable([...m.columns.map((c) => c.id), 'case'], body)), ''] : [];
  const fold = foldedLine(folded);
  if (fold) out.push(...wrap(fold, WIDTH, ''), '');
  out.push(...wrap(`Columns: ${m.columns.map((col) => columnWords(run, col)).join('; ')}.`, WIDTH, ''));
  const seen = VERDICT_ORDER.filter((v) => folded.listed.some((r) => Object.values(r.cells).some((c) => c.verdict === v)));
  const anyUnmet = folded.listed.some((r) => m.columns.some((c) => unmet(r, c.id)));
  if (seen.length > 0) {
    out.push('');
    out.push(...wrap(`${seen.map((v) => `${VERDICT_LABEL[v]}: ${VERDICT_MEANING[v]}`).join('; ')}${anyUnmet ? '; !: not what the config expects' : ''}.`, WIDTH, ''));
  }
  // One paragraph per footnote, so rendered Markdown keeps them apart too.
  for (const note of notes) {
    out.push('');
    out.push(...wrap(`${superscript(note.number)} skip on ${note.columns.join(', ')} (${note.count} case${note.count === 1 ? '' : 's'}): ${oneLine(note.reason)}`, WIDTH, '  '));
  }
  return out;
}

/** "6.1/x86_64 (6.1.119) base vs patched": what a column compares. */
function columnWords(run: RunSummary, col: MatrixColumn): string {
  const ran = col.variants.filter((v) => !['patch-failed', 'build-failed', 'already-present'].includes(v.state)).map((v) => v.variant);
  const ordered = variantOrder(run, col).filter((v) => ran.includes(v));
  return `${col.id}${col.version ? ` (${col.version})` : ''} ${ordered.length > 1 ? `${ordered[0]} vs ${ordered.slice(1).join(', ')}` : ordered.join('') || 'nothing built'}`;
}

// Said per cell (a repeat can fail alone), in the column's words. A patch that
// did not apply or build is told under "Patch" when the cell has the record.
function problemLines(run: RunSummary): string[] {
  const problems = run.cells.filter((c) => CELL_PROBLEM_STATES.has(c.state) && !(c.patch && ['patch-failed', 'build-failed'].includes(c.state)));
  if (problems.length === 0) return [];
  return section('Did not build, boot or finish', problems.flatMap((c) => {
    const where = `${c.variant.name} on ${columnIdOf(c)}${c.repeat > 1 ? ` (repeat ${c.repeat})` : ''}`;
    const lines = bullet(`${where}: ${describeProblem(c.state, c.error?.message)}`);
    if (c.error?.hint) lines.push(...wrap(`fix: ${oneLine(c.error.hint)}`, WIDTH - 2, '  ').map((l) => `  ${l}`));
    return lines;
  }));
}

function diagnosticLines(run: RunSummary, suite: string | null): string[] {
  const metrics = notableMetrics(run);
  if (metrics.length === 0) return [];
  return section('Diagnostics', metrics.flatMap((nm) =>
    bullet(`${caseLabel(nm.caseId, suite)} on ${nm.colId}: ${nm.metric}: ${nm.values.map(([v, x]) => `${v} ${x}`).join(', ')}`)));
}

function failureSection(run: RunSummary, suite: string | null): string[] {
  const failures = failureLines(run, suite);
  if (failures.length === 0) return [];
  const lines = failures.slice(0, MAX_FAILURES).flatMap((f) => bullet(f));
  if (failures.length > MAX_FAILURES) lines.push(`- ... and ${failures.length - MAX_FAILURES} more (see report.html)`);
  return section('Failures', lines);
}

function findingLines(run: RunSummary): string[] {
  const findings = run.cells.flatMap((cell) => cell.console.findings.map((f) =>
    `${cell.id}: ${f.kind} at ${cell.console.log ?? 'console'}:${f.line}: ${findingHeadline(f.text)}`));
  return findings.length === 0 ? [] : section('Console findings', findings.flatMap((f) => bullet(f)));
}

function section(title: string, lines: string[]): string[] {
  return ['', `## ${title}`, '', ...lines];
}

function countsLine(counts: Record<Verdict, number>): string {
  const parts = VERDICT_ORDER.filter((v) => (counts[v] ?? 0) > 0 || v === 'fixed' || v === 'regressed').map((v) => `${counts[v] ?? 0} ${v}`);
  return `Cases x columns: ${parts.join(', ')}.`;
}

function buildText(c: CellResult): string {
  if (!c.build) return '-';
  if (c.build.cached) return 'cached';
  if (c.build.incremental) return `+${c.build.compiledObjects} obj ${formatDuration(c.build.durationMs, true)}`;
  return `full ${formatDuration(c.build.durationMs, true)}`;
}

/**
 * One line per failing (case, cell): the selftest's own explanation. Cases a
 * variant's kernel never reached (it did not boot, or died) are one line per
 * cell: the reason is the cell's, not theirs.
 */
function failureLines(run: RunSummary, suite: string | null): string[] {
  const lines: string[] = [];
  const neverRan = new Map<string, { count: number; why: string }>();
  for (const row of run.matrix.rows) {
    for (const col of run.matrix.columns) {
      const cell = row.cells[col.id];
      if (!cell) continue;
      for (const variant of variantOrder(run, col)) {
        const o = cell.outcomes[variant];
        if (o !== 'fail' && o !== 'crashed' && o !== 'flaky') continue;
        const results = run.cells.filter((c) => columnIdOf(c) === col.id && c.variant.name === variant)
          .flatMap((c) => c.suites.flatMap((s) => s.cases.filter((x) => x.id === row.caseId)));
        const failing = results.find((r) => r.outcome === 'fail' || r.outcome === 'error') ?? results[0];
        const why = failing ? (failureLine(caseName(row.caseId), failing.diagnostics) ?? failing.reason ?? null) : cell.reason ?? null;
        const dead = o === 'crashed' && !failing ? / never ran: (.*)$/.exec(why ?? '') : null;
        if (dead) {
          const key = `${col.id} ${variant}`;
          neverRan.set(key, { count: (neverRan.get(key)?.count ?? 0) + 1, why: dead[1] ?? '' });
          continue;
        }
        lines.push(`${caseLabel(row.caseId, suite)} on ${col.id} ${variant}: ${o}${why ? `: ${oneLine(why)}` : ''}`);
      }
    }
  }
  for (const [key, { count, why }] of neverRan) lines.unshift(`${count} case${count === 1 ? '' : 's'} on ${key} never ran: ${oneLine(why)}`);
  return lines;
}
