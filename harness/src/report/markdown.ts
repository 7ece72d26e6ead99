// matrix.md: the run as a mailing-list reply. Plain text first (it is pasted
// into mail), Markdown second: lines stay within ~100 columns where the
// content allows, the matrix is a padded table that reads the same rendered
// or not, and every reason is said once (skip reasons are footnotes).
import type { CellResult, MatrixColumn, RunSummary, Verdict } from '../results/types.ts';
import {
  CELL_PROBLEM_STATES, VERDICT_LABEL, VERDICT_MEANING, VERDICT_ORDER,
  caseLabel, caseName, cleanText, columnIdOf, commonSuite, describeProblem, failureLine, findingHeadline,
  formatDuration, notableMetrics, skipNotes, superscript, variantOrder,
} from './common.ts';

const WIDTH = 100;
const MAX_FAILURES = 20;

export function renderMarkdown(run: RunSummary): string {
  const suite = commonSuite(run.matrix.rows);
  const out = [
    ...summaryLines(run),
    ...attentionLines(run, suite),
    ...section(suite ? `Results (suite ${suite})` : 'Results', resultLines(run, suite)),
    ...problemLines(run),
    ...diagnosticLines(run, suite),
    ...failureSection(run, suite),
    ...findingLines(run),
    ...section('Cells', table(['cell', 'state', 'accel', 'build', 'boot', 'total'], run.cells.map((c) => [
      c.id, c.state, c.accel ?? '-', buildText(c), c.boot ? formatDuration(c.boot.toSshMs, true) : '-', formatDuration(c.durationMs, true),
    ]))),
  ];
  return `${out.join('\n')}\n`;
}

/** The verdict line, what ran where, and the counts. */
function summaryLines(run: RunSummary): string[] {
  const out = [oneLine(run.overall.line), ''];
  out.push(...wrap(`kvmatrix ${run.harnessVersion}, run ${run.runId}, config ${run.config.name} (${run.config.file})`, WIDTH, '  '));
  const qemu = [...new Set(Object.values(run.host.qemu))];
  out.push(`${run.cells.length} cell(s) on an ${run.host.arch} host (${run.host.cpus} CPUs)${qemu.length > 0 ? `, qemu ${qemu.join('/')}` : ''}.`);
  if (!run.complete) {
    const missing = (run.plan ?? []).filter((p) => !run.cells.some((c) => c.id === p.id)).length;
    out.push(`Note: the run is incomplete: ${missing} planned cell(s) have no result.`);
  }
  if (run.shard) out.push(`Note: shard ${run.shard.index}/${run.shard.count}: other shards hold the remaining cells.`);
  out.push(countsLine(run.matrix.counts));
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

/** The matrix as a table, what each column compares, the legend and the skip footnotes. */
function resultLines(run: RunSummary, suite: string | null): string[] {
  const m = run.matrix;
  if (m.rows.length === 0 || m.columns.length === 0) return ['No case ran.'];
  const { notes, numberOf } = skipNotes(run);
  const unmet = new Set<string>();
  for (const row of m.rows) {
    for (const [colId, cell] of Object.entries(row.cells)) {
      if (cell.expected?.some((e) => !e.met)) unmet.add(`${row.caseId}\u0000${colId}`);
    }
  }
  const header = ['case', ...m.columns.map((c) => c.id)];
  const body = m.rows.map((row) => [
    caseLabel(row.caseId, suite),
    ...m.columns.map((col) => {
      const cell = row.cells[col.id];
      if (!cell) return '-';
      const n = numberOf(row.caseId, col.id);
      return `${VERDICT_LABEL[cell.verdict]}${n !== null ? superscript(n) : ''}${unmet.has(`${row.caseId}\u0000${col.id}`) ? '!' : ''}`;
    }),
  ]);
  const out = [...table(header, body), ''];
  out.push(...wrap(`Columns: ${m.columns.map((col) => columnWords(run, col)).join('; ')}.`, WIDTH, ''));
  const seen = VERDICT_ORDER.filter((v) => m.rows.some((r) => Object.values(r.cells).some((c) => c.verdict === v)));
  out.push('');
  out.push(...wrap(`${seen.map((v) => `${VERDICT_LABEL[v]}: ${VERDICT_MEANING[v]}`).join('; ')}${unmet.size > 0 ? '; !: not what the config expects' : ''}.`, WIDTH, ''));
  // One paragraph per footnote, so rendered Markdown keeps them apart too.
  for (const note of notes) {
    out.push('');
    out.push(...wrap(`${superscript(note.number)} skip on ${note.columns.join(', ')} (${note.count} case${note.count === 1 ? '' : 's'}): ${oneLine(note.reason)}`, WIDTH, '  '));
  }
  return out;
}

/** "6.1/x86_64 (6.1.119) base vs patched": what a column compares. */
function columnWords(run: RunSummary, col: MatrixColumn): string {
  const ran = col.variants.filter((v) => !['patch-failed', 'build-failed'].includes(v.state)).map((v) => v.variant);
  const ordered = variantOrder(run, col).filter((v) => ran.includes(v));
  return `${col.id}${col.version ? ` (${col.version})` : ''} ${ordered.length > 1 ? `${ordered[0]} vs ${ordered.slice(1).join(', ')}` : ordered.join('') || 'nothing built'}`;
}

// Said per cell (a repeat can fail alone), in the column's words.
function problemLines(run: RunSummary): string[] {
  const problems = run.cells.filter((c) => CELL_PROBLEM_STATES.has(c.state));
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

function oneLine(text: string): string {
  return cleanText(text).replace(/\s*\n\s*/g, ' ').trim();
}

function countsLine(counts: Record<Verdict, number>): string {
  const parts = VERDICT_ORDER.filter((v) => (counts[v] ?? 0) > 0 || v === 'fixed' || v === 'regressed').map((v) => `${counts[v] ?? 0} ${v}`);
  return `Cases x columns: ${parts.join(', ')}.`;
}

function buildText(c: CellResult): string {
  if (!c.build) return '-';
  if (c.build.cached) return 'cached';
  if (c.build.incremental) return `incremental ${formatDuration(c.build.durationMs, true)} (${c.build.compiledObjects} obj)`;
  return `full ${formatDuration(c.build.durationMs, true)}`;
}

/** One line per failing (case, cell): the selftest's own explanation. */
function failureLines(run: RunSummary, suite: string | null): string[] {
  const lines: string[] = [];
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
        lines.push(`${caseLabel(row.caseId, suite)} on ${col.id} ${variant}: ${o}${why ? `: ${oneLine(why)}` : ''}`);
      }
    }
  }
  return lines;
}

function bullet(text: string): string[] {
  return wrap(`- ${oneLine(text)}`, WIDTH, '  ');
}

/** Greedy word wrap; words longer than the width stay whole. */
export function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line === '') line = lines.length === 0 ? w : `${indent}${w}`;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      lines.push(line);
      line = `${indent}${w}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  const esc = (s: string) => oneLine(s).replace(/\|/g, '\\|');
  const all = [header, ...rows].map((r) => r.map(esc));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) => `| ${widths.map((w, i) => pad(r[i] ?? '', w)).join(' | ')} |`;
  return [line(all[0] ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)];
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - [...s].length));
}
