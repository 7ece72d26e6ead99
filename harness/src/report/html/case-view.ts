// Case details (case-details.eta, case-detail.eta, ktap-block.eta): per case
// and column, the outcome of each variant, the expectations, the metrics and
// each cell's KTAP lines for the case. The page lists them as <details>; the
// script opens the same content in a panel when a matrix cell is clicked.
import type { CellResult, MatrixColumn, MatrixRow, Verdict } from '../../results/types.ts';
import { NOT_BUILT_STATES } from '../../results/types.ts';
import {
  VERDICT_LABEL, VERDICT_MEANING, caseKtapLines, caseLabel, columnIdOf, describeProblem, tailLines, variantOrder,
  type CaseKtap,
} from '../common.ts';
import { caseResult, cellAnchor, detailId, logAnchor, suiteLogOf, type Ctx } from './context.ts';

type MatrixCell = MatrixRow['cells'][string];

export interface CaseDetailView {
  id: string;
  verdict: Verdict;
  label: string;
  caseId: string;
  caseLabel: string;
  column: string;
  version: string | null;
  meaning: string;
  reason: string | null;
  outcomes: OutcomeRow[];
  expectations: { met: boolean; outcome: string; note: string | null }[];
  metrics: { variants: string[]; rows: { key: string; differ: boolean; values: (number | string)[] }[] } | null;
  blocks: KtapBlockView[];
}

/** One variant (one cell of it, per repeat) in the outcomes table. */
interface OutcomeRow {
  variant: string;
  repeat: string;
  outcomeClass: string;
  shown: string;
  cell: { anchor: string; id: string; state: string } | null;
  note: string;
}

/** One cell's part of a case detail: where its lines come from, its findings, the lines, its logs. */
export interface KtapBlockView {
  cellId: string;
  state: string;
  where: string;
  whereLog: string;
  logLinks: { anchor: string; name: string }[];
  findings: { kind: string; anchor: string; log: string; line: number; text: string }[];
  ktap: { lineClass: string; text: string }[] | null;
  error: { text: string; tail: string | null } | null;
  /** The script copies each of these logs (the cell section's tail) into the panel. */
  logSlots: string[];
}

export function caseDetailsView(ctx: Ctx): { items: CaseDetailView[] } {
  const { rows, columns } = ctx.run.matrix;
  const items: CaseDetailView[] = [];
  rows.forEach((row, r) => {
    columns.forEach((col, c) => {
      const cell = row.cells[col.id];
      if (cell) items.push(caseDetailView(ctx, row, col, cell, detailId(r, c)));
    });
  });
  return { items };
}

function caseDetailView(ctx: Ctx, row: MatrixRow, col: MatrixColumn, cell: MatrixCell, id: string): CaseDetailView {
  const variants = variantOrder(ctx.run, col);
  const cellsOf = (variant: string) => ctx.run.cells.filter((c) => columnIdOf(c) === col.id && c.variant.name === variant);
  return {
    id,
    verdict: cell.verdict,
    label: VERDICT_LABEL[cell.verdict],
    caseId: row.caseId,
    caseLabel: caseLabel(row.caseId, ctx.suite),
    column: col.id,
    version: col.version,
    meaning: VERDICT_MEANING[cell.verdict],
    reason: cell.reason || null,
    outcomes: variants.flatMap((v) => outcomeRows(ctx, v, cell.outcomes[v] ?? 'missing', cellsOf(v), row.caseId)),
    expectations: (cell.expected ?? []).map((e) => ({ met: e.met, outcome: e.outcome, note: e.note || null })),
    metrics: metricsView(variants, cell.metrics),
    blocks: variants.flatMap((variant) => cellsOf(variant).map((c) => ktapBlockView(ctx, c, row.caseId))),
  };
}

function outcomeRows(ctx: Ctx, variant: string, outcome: string, cells: CellResult[], caseId: string): OutcomeRow[] {
  if (cells.length === 0) return [{ variant, repeat: '', outcomeClass: outcome, shown: outcome, cell: null, note: '' }];
  return cells.map((c) => {
    const result = caseResult(c, caseId);
    const notBuilt = NOT_BUILT_STATES.has(c.state);
    const shown = notBuilt ? 'not built' : result?.outcome ?? outcome;
    return {
      variant,
      repeat: c.repeat > 1 ? ` #${c.repeat}` : '',
      outcomeClass: notBuilt ? 'missing' : shown,
      shown,
      cell: { anchor: cellAnchor(ctx, c), id: c.id, state: c.state },
      note: c.state !== 'ok' ? describeProblem(c.state, c.error?.message) : result?.reason ?? '',
    };
  });
}

function metricsView(order: string[], metrics: MatrixCell['metrics']): CaseDetailView['metrics'] {
  if (!metrics || Object.keys(metrics).length === 0) return null;
  const variants = order.filter((v) => metrics[v]);
  const keys: string[] = [];
  for (const v of variants) for (const k of Object.keys(metrics[v] ?? {})) if (!keys.includes(k)) keys.push(k);
  return {
    variants,
    rows: keys.map((key) => {
      const values = variants.map((v) => metrics[v]?.[key]);
      return { key, differ: new Set(values.map(String)).size > 1, values: values.map((x) => x ?? '–') };
    }),
  };
}

function ktapBlockView(ctx: Ctx, c: CellResult, caseId: string): KtapBlockView {
  const logs = ctx.logs[c.id];
  const ktap = caseKtapLines(c, caseId, logs);
  const tail = c.error?.logTail ? tailLines(c.error.logTail, 20).lines.join('\n') : null;
  const error = c.error ? { text: `${c.error.code}: ${c.error.message}`, tail } : null;
  return {
    cellId: c.id,
    state: c.state,
    where: ktap?.source === 'log' ? lineSpan(ktap) : ktap ? 'rebuilt from results.json (suite output not attached)' : '',
    whereLog: ktap?.source === 'log' ? suiteLogOf(c, caseId) ?? 'suite output' : '',
    logLinks: (logs ?? []).map((l, i) => ({ anchor: logAnchor(ctx, c, i), name: l.name })),
    findings: c.console.findings.map((f) => ({
      kind: f.kind, anchor: cellAnchor(ctx, c), log: c.console.log ?? 'console', line: f.line, text: f.text,
    })),
    ktap: ktap ? ktap.lines.map((text) => ({ lineClass: ktapLineClass(text), text })) : null,
    error: ktap ? null : error,
    logSlots: (logs ?? []).map((_, i) => logAnchor(ctx, c, i)),
  };
}

/** "line 3 of ", "lines 3–5 of ", or nothing when the lines' place in the log is not known. */
function lineSpan(ktap: CaseKtap): string {
  if (ktap.firstLine == null) return '';
  return ktap.lines.length === 1 ? `line ${ktap.firstLine} of ` : `lines ${ktap.firstLine}–${ktap.firstLine + ktap.lines.length - 1} of `;
}

function ktapLineClass(line: string): string {
  const t = line.trimStart();
  if (/^not ok\b/.test(t)) return 'k-fail';
  if (/^ok\b.*#\s*SKIP/i.test(t)) return 'k-skip';
  if (/^ok\b/.test(t)) return 'k-pass';
  return t.startsWith('#') ? 'k-diag' : '';
}
