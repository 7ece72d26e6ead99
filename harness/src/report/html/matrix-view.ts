// The matrix (matrix.eta, matrix-column.eta, matrix-row.eta): one row per
// case, one column per kernel/arch, each cell coloured by its verdict and
// linked to its case detail; then the metrics that differ (diagnostics.eta).
import type { MatrixColumn, MatrixRow, Verdict } from '../../results/types.ts';
import {
  VERDICT_LABEL, VERDICT_MEANING, VERDICT_ORDER,
  caseLabel, columnIdOf, describeProblem, judgedOutcomes, notableMetrics, skipNotes, variantOrder,
} from '../common.ts';
import { cellAnchor, detailId, plural, type Ctx } from './context.ts';

export interface ColumnView {
  id: string;
  version: string;
  variants: { tone: 'bad' | 'ok'; title: string; name: string; problem: { state: string; note: string } | null }[];
  /** Console findings of the column's cells, one link per cell. */
  findings: { anchor: string; title: string; variant: string; what: string }[];
}

export interface MatrixCellView {
  verdict: Verdict;
  unmet: boolean;
  detail: string;
  tip: string;
  label: string;
  /** Footnote number of the skip reason. */
  note: number | null;
  outcomes: string;
}

export interface MatrixView {
  empty: boolean;
  suite: string | null;
  columns: ColumnView[];
  rows: { label: string; cells: (MatrixCellView | null)[] }[];
  legend: { verdict: Verdict; label: string; meaning: string }[];
  anyUnmet: boolean;
  footnotes: { number: number; columns: string; count: string; reason: string }[];
}

export function matrixView(ctx: Ctx): MatrixView {
  const m = ctx.run.matrix;
  const { notes, numberOf } = skipNotes(ctx.run);
  const seen = VERDICT_ORDER.filter((v) => m.rows.some((row) => Object.values(row.cells).some((c) => c.verdict === v)));
  return {
    empty: m.rows.length === 0 || m.columns.length === 0,
    suite: ctx.suite,
    columns: m.columns.map((col) => columnView(ctx, col)),
    rows: m.rows.map((row, r) => ({
      label: caseLabel(row.caseId, ctx.suite),
      cells: m.columns.map((col, c) => matrixCellView(ctx, row, col, detailId(r, c), numberOf(row.caseId, col.id))),
    })),
    legend: seen.map((v) => ({ verdict: v, label: VERDICT_LABEL[v], meaning: VERDICT_MEANING[v] })),
    anyUnmet: m.rows.some((row) => Object.values(row.cells).some((c) => c.expected?.some((e) => !e.met))),
    footnotes: notes.map((n) => ({ number: n.number, columns: n.columns.join(', '), count: plural(n.count, 'case'), reason: n.reason })),
  };
}

function columnView(ctx: Ctx, col: MatrixColumn): ColumnView {
  const variants = variantOrder(ctx.run, col).flatMap((v) => {
    const st = col.variants.find((x) => x.variant === v);
    if (!st) return [];
    const bad = st.state !== 'ok';
    const note = st.expected ? ' (as expected)' : '';
    return [{
      tone: bad && !st.expected ? 'bad' as const : 'ok' as const,
      title: bad ? `${describeProblem(st.state, st.message)}${note}` : `${v}: ok`,
      name: v,
      problem: bad ? { state: st.state, note } : null,
    }];
  });
  const findings = ctx.run.cells.filter((c) => columnIdOf(c) === col.id && c.console.findings.length > 0).map((c) => ({
    anchor: cellAnchor(ctx, c),
    title: c.console.findings.map((f) => f.text).join('\n'),
    variant: c.variant.name,
    what: c.console.findings.length === 1 ? c.console.findings[0]?.kind ?? 'finding' : `${c.console.findings.length} findings`,
  }));
  return { id: col.id, version: col.version ?? '', variants, findings };
}

function matrixCellView(ctx: Ctx, row: MatrixRow, col: MatrixColumn, detail: string, note: number | null): MatrixCellView | null {
  const cell = row.cells[col.id];
  if (!cell) return null;
  const outcomes = Object.entries(cell.outcomes).map(([v, o]) => `${v} ${o}`).join(', ');
  return {
    verdict: cell.verdict,
    unmet: cell.expected?.some((e) => !e.met) ?? false,
    detail,
    tip: `${row.caseId} on ${col.id}: ${cell.verdict} (${outcomes})${cell.reason ? `; ${cell.reason}` : ''}`,
    label: VERDICT_LABEL[cell.verdict],
    note,
    outcomes: judgedOutcomes(ctx.run, col, cell.outcomes).map(([, o]) => o).join(' → '),
  };
}

export interface DiagnosticsView {
  metrics: { detail: string; label: string; column: string; metric: string; values: [string, number | string][] }[];
}

/** Metrics the selftest printed whose value differs between variants; the section is left out when there are none. */
export function diagnosticsView(ctx: Ctx): DiagnosticsView {
  const { rows, columns } = ctx.run.matrix;
  return {
    metrics: notableMetrics(ctx.run).map((n) => ({
      detail: detailId(rows.findIndex((row) => row.caseId === n.caseId), columns.findIndex((col) => col.id === n.colId)),
      label: caseLabel(n.caseId, ctx.suite),
      column: n.colId,
      metric: n.metric,
      values: n.values,
    })),
  };
}
