// Comparison is a pure function from the *plan* and the cell results to a
// matrix with closed verdicts and one overall answer. Its rules are the
// README's "Verdict rules"; each has a row in harness/test/unit/compare/
// verdict-rules.test.ts. In short: a planned result that is not there is
// never silence, an infrastructure failure is never a pass, and a failure
// the variant's own kernel caused (panic, hang, timeout) is the variant's.
import type { CellResult, MatrixColumn, MatrixRow, MatrixTable, PlannedCell, Verdict, VariantOutcome } from '../results/types.ts';
import type { Expectation } from '../plan/config.ts';
import { EXPLAINABLE, NOT_HERE, VERDICT_RANK, headline, pairVerdict, singleVerdict } from './rules.ts';
import { ExpectationBook } from './expectations.ts';
import { indexMatrix, outcomeOf, type MatrixIndex, type Outcome } from './outcomes.ts';
import { CONSOLE_ROW, compareConsoles } from './console-row.ts';

export { CONSOLE_ROW } from './console-row.ts';
export { overallVerdict } from './overall.ts';
export { combineRepeats, pairVerdict, singleVerdict, VERDICT_RANK } from './rules.ts';
export { expectationFor, expectationMatches } from './expectations.ts';

export interface CompareInput {
  /** Every cell the run had to produce, in run order (base before its variants). */
  plan: readonly PlannedCell[];
  cells: readonly CellResult[];
  expectations: readonly Expectation[];
  /** Variant order from the config ("base" first). */
  variants: readonly string[];
}

export type CompareOutput = MatrixTable;

type RowCell = MatrixRow['cells'][string];

/** The verdict of one case in one column, or null where nothing there speaks about it. */
function judgeCell(ix: MatrixIndex, book: ExpectationBook, caseId: string, program: string, col: MatrixColumn): RowCell | null {
  const present = col.variants.map((v) => v.variant);
  const got: Record<string, Outcome> = Object.fromEntries(present.map((v) => [v, outcomeOf(ix, caseId, program, col, v)]));
  const vo: Record<string, VariantOutcome> = Object.fromEntries(present.map((v) => [v, got[v]?.outcome ?? 'missing']));
  // Nothing here says anything about this case (other arch's program, a variant that never built): no cell.
  if (present.every((v) => NOT_HERE.has(vo[v] ?? 'missing'))) return null;
  const base = vo.base ?? 'missing';
  if (base === 'not-built') return null; // the column says base did not build; no case can be judged
  const judged = present.filter((v) => v !== 'base' && vo[v] !== 'not-built');
  const verdict = headline(judged.length > 0 ? judged.map((v) => pairVerdict(base, vo[v] ?? 'missing')) : [singleVerdict(base)]);
  const { expected, explained } = book.judge(caseId, col, vo);
  // The reason that goes with the headline: the judged variant that gave it, else base.
  const teller = [...judged].reverse().find((v) => pairVerdict(base, vo[v] ?? 'missing') === verdict && got[v]?.reason) ?? 'base';
  const reason = got[teller]?.reason ?? got.base?.reason;
  const metrics: Record<string, Record<string, number | string>> = {};
  for (const v of present) if (got[v]?.metrics) metrics[v] = got[v]?.metrics as Record<string, number | string>;
  return {
    verdict,
    outcomes: vo,
    ...(reason ? { reason } : {}),
    ...(expected.length ? { expected } : {}),
    ...(EXPLAINABLE.has(verdict) && explained ? { explained: true } : {}),
    ...(Object.keys(metrics).length ? { metrics } : {}),
  };
}

/** The console row, with its cells held against the expectations like any other row. */
function consoleRow(ix: MatrixIndex, book: ExpectationBook): MatrixRow | null {
  const row = compareConsoles(ix.columns, ix.plansOf, ix.results);
  for (const [colId, cell] of Object.entries(row?.cells ?? {})) {
    const { expected, explained } = book.judge(CONSOLE_ROW, ix.colOf.get(colId) as MatrixColumn, cell.outcomes);
    if (expected.length > 0) cell.expected = expected;
    if (EXPLAINABLE.has(cell.verdict) && explained) cell.explained = true;
  }
  return row;
}

export function compare(input: CompareInput): CompareOutput {
  const ix = indexMatrix(input.plan, input.cells);
  const planned = new Set(input.plan.map((p) => p.id));
  const warnings = input.cells.filter((c) => !planned.has(c.id)).map((c) => `result for ${c.id} is not part of this run's plan: ignored`);
  const book = new ExpectationBook(input.expectations);
  book.checkStates(ix.columns);
  const rows: MatrixRow[] = [];
  for (const [caseId, program] of ix.rowProgram) {
    const row: MatrixRow = { caseId, program, cells: {} };
    for (const col of ix.columns) {
      const cell = judgeCell(ix, book, caseId, program, col);
      if (cell) row.cells[col.id] = cell;
    }
    if (Object.keys(row.cells).length > 0) rows.push(row);
  }
  const con = consoleRow(ix, book);
  if (con) rows.push(con);
  const counts = Object.fromEntries(VERDICT_RANK.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const row of rows) for (const cell of Object.values(row.cells)) counts[cell.verdict]++;
  const variants = input.variants.filter((v) => input.plan.some((p) => p.variant === v));
  return { columns: ix.columns, variants, rows, unexpected: book.unexpected, warnings: [...warnings, ...book.unusedWarnings()], counts };
}
