// Comparison is a pure function from cell results to a matrix with closed
// verdicts. An infrastructure failure is never a pass.
import type { CaseOutcome, CellResult, MatrixRow, MatrixTable, MatrixColumn, Verdict, RunSummary } from '../results/types.ts';
import type { Expectation } from '../matrix/config.ts';
import { inRange } from './version-range.ts';

export type VariantOutcome = CaseOutcome | 'infra-error' | 'flaky' | 'missing';

const INFRA_STATES = new Set(['boot-failed', 'infra-error', 'timeout']);

/** Combine repeats of one (case, kernel, arch, variant). */
export function combineRepeats(outcomes: VariantOutcome[]): VariantOutcome {
  if (outcomes.length === 0) return 'missing';
  if (outcomes.includes('infra-error')) return 'infra-error';
  const distinct = new Set(outcomes.map((o) => (o === 'error' ? 'fail' : o)));
  if (distinct.size > 1) return 'flaky';
  return outcomes[0] as VariantOutcome;
}

/** The verdict for base vs one other variant (or base alone). */
export function verdictFor(base: VariantOutcome, patched?: VariantOutcome): Verdict {
  const norm = (o: VariantOutcome) => (o === 'error' ? 'fail' : o);
  const b = norm(base);
  if (patched === undefined) {
    if (b === 'infra-error' || b === 'missing') return 'infra-error';
    if (b === 'flaky') return 'flaky';
    if (b === 'skip') return 'skip';
    return b === 'pass' ? 'pass' : 'fail';
  }
  const p = norm(patched);
  if (b === 'infra-error' || p === 'infra-error' || b === 'missing' || p === 'missing') return 'infra-error';
  if (b === 'flaky' || p === 'flaky') return 'flaky';
  if (p === 'skip') return 'skip';
  if (b === 'fail' && p === 'pass') return 'fixed';
  if (b === 'pass' && p === 'fail') return 'regressed';
  if (b === 'fail' && p === 'fail') return 'still-failing';
  if (b === 'skip' && p === 'fail') return 'regressed';
  return 'pass';
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** The last matching expectation wins (later lines refine earlier ones). */
export function expectationFor(exps: readonly Expectation[], q: { caseId: string; kernelId: string; version: string | null; arch: string; variant: string }): Expectation | undefined {
  let found: Expectation | undefined;
  for (const e of exps) {
    if (!e.cases.some((c) => globMatch(c, q.caseId))) continue;
    if (e.kernels && !e.kernels.includes(q.kernelId)) continue;
    if (e.arches && !e.arches.includes(q.arch)) continue;
    if (e.variants && !e.variants.includes(q.variant)) continue;
    if (e.versions && (!q.version || !inRange(q.version, e.versions))) continue;
    found = e;
  }
  return found;
}

export interface CompareInput {
  cells: CellResult[];
  expectations: Expectation[];
  /** Variant order from the config ("base" first). */
  variants: string[];
}

export type CompareOutput = MatrixTable;

export function compare(input: CompareInput): CompareOutput {
  const columns: MatrixColumn[] = [];
  const colOf = new Map<string, MatrixColumn>();
  const caseOrder: string[] = [];
  // outcomes[caseId][colId][variant] = outcome per repeat
  const outcomes = new Map<string, Map<string, Map<string, VariantOutcome[]>>>();
  const metrics = new Map<string, Record<string, Record<string, number | string>>>();
  const reasons = new Map<string, string>();
  for (const cell of input.cells) {
    const colId = `${cell.kernel.id}/${cell.arch}`;
    let col = colOf.get(colId);
    if (!col) {
      col = { id: colId, kernel: cell.kernel.id, arch: cell.arch, version: cell.kernel.version, variants: [] };
      colOf.set(colId, col);
      columns.push(col);
    }
    col.version ??= cell.kernel.version;
    if (!col.variants.some((v) => v.variant === cell.variant.name)) {
      col.variants.push({ variant: cell.variant.name, state: cell.state, message: cell.error?.message.split('\n')[0] });
    } else if (cell.state !== 'ok') {
      const v = col.variants.find((x) => x.variant === cell.variant.name);
      if (v && v.state === 'ok') { v.state = cell.state; v.message = cell.error?.message.split('\n')[0]; }
    }
    for (const suite of cell.suites) {
      for (const c of suite.cases) {
        if (!caseOrder.includes(c.id)) caseOrder.push(c.id);
        const byCol = outcomes.get(c.id) ?? new Map();
        outcomes.set(c.id, byCol);
        const byVariant = byCol.get(colId) ?? new Map<string, VariantOutcome[]>();
        byCol.set(colId, byVariant);
        const list = byVariant.get(cell.variant.name) ?? [];
        // A case cut short by a timeout or lost connection is an infra problem, not a failure of the kernel.
        list.push(c.outcome === 'error' && INFRA_STATES.has(cell.state) ? 'infra-error' : c.outcome);
        byVariant.set(cell.variant.name, list);
        if (Object.keys(c.metrics).length > 0) {
          const m = metrics.get(`${c.id}|${colId}`) ?? {};
          m[cell.variant.name] = c.metrics;
          metrics.set(`${c.id}|${colId}`, m);
        }
        if (c.outcome === 'skip' && c.reason) reasons.set(`${c.id}|${colId}|${cell.variant.name}`, c.reason);
      }
    }
  }
  // Cells that never produced cases (boot failed...) still count for every known case.
  const cellStates = new Map(input.cells.map((c) => [`${c.kernel.id}/${c.arch}|${c.variant.name}`, c.state]));

  const variants = input.variants.filter((v) => input.cells.some((c) => c.variant.name === v));
  const counts = { fixed: 0, regressed: 0, 'still-failing': 0, pass: 0, skip: 0, 'infra-error': 0, flaky: 0, fail: 0 } as Record<Verdict, number>;
  const unexpected: string[] = [];
  const rows: MatrixRow[] = caseOrder.map((caseId) => {
    const row: MatrixRow = { caseId, cells: {} };
    for (const col of columns) {
      const present = col.variants.map((v) => v.variant);
      const outcomeFor = (variant: string): VariantOutcome => {
        const list = outcomes.get(caseId)?.get(col.id)?.get(variant);
        if (list && list.length > 0) return combineRepeats(list);
        const state = cellStates.get(`${col.id}|${variant}`);
        if (state && INFRA_STATES.has(state)) return 'infra-error';
        return 'missing';
      };
      const vo: Record<string, VariantOutcome> = {};
      for (const v of present) vo[v] = outcomeFor(v);
      // A case this column never ran at all (e.g. an x86-only program on arm64) is not a result: leave the cell empty.
      if (present.every((v) => vo[v] === 'missing')) continue;
      const others = present.filter((v) => v !== 'base');
      // Variants that never built (patch/build failed) get no verdict per case: the column says why.
      const judged = others.filter((v) => !['patch-failed', 'build-failed'].includes(col.variants.find((x) => x.variant === v)?.state ?? ''));
      const base = vo.base ?? 'missing';
      const verdicts = judged.length > 0 ? judged.map((v) => verdictFor(base, vo[v])) : [verdictFor(base)];
      // The headline verdict for the cell: the most significant one.
      const rank: Verdict[] = ['regressed', 'infra-error', 'flaky', 'still-failing', 'fail', 'fixed', 'pass', 'skip'];
      const verdict = rank.find((r) => verdicts.includes(r)) ?? 'pass';
      counts[verdict]++;
      const expected: { outcome: string; met: boolean; note?: string }[] = [];
      for (const v of present) {
        // A variant that never built has no outcomes to hold against expectations: its column says why.
        if (vo[v] === 'missing' && ['patch-failed', 'build-failed'].includes(col.variants.find((x) => x.variant === v)?.state ?? '')) continue;
        const e = expectationFor(input.expectations, { caseId, kernelId: col.kernel, version: col.version, arch: col.arch, variant: v });
        if (!e) continue;
        const actual = vo[v] === 'error' ? 'fail' : vo[v];
        const met = actual === e.expect;
        expected.push({ outcome: `${v}:${e.expect}`, met, note: e.note });
        if (!met) unexpected.push(`${caseId} on ${col.id} ${v}: expected ${e.expect}, got ${actual}${e.note ? ` (${e.note})` : ''}`);
      }
      const skipReason = present.map((v) => reasons.get(`${caseId}|${col.id}|${v}`)).find(Boolean);
      row.cells[col.id] = {
        verdict,
        outcomes: vo,
        ...(skipReason ? { reason: skipReason } : {}),
        ...(expected.length ? { expected } : {}),
        ...(metrics.get(`${caseId}|${col.id}`) ? { metrics: metrics.get(`${caseId}|${col.id}`) } : {}),
      };
    }
    return row;
  });
  return { columns, variants, rows, unexpected, counts };
}

/** Exit code and one-line verdict for the whole run. */
export function overallVerdict(cmp: CompareOutput, cells: CellResult[]): RunSummary['overall'] {
  const infraCells = cells.filter((c) => INFRA_STATES.has(c.state));
  const { fixed, regressed } = cmp.counts;
  const infra = cmp.counts['infra-error'] + infraCells.length;
  let verdict: RunSummary['overall']['verdict'];
  let exitCode: number;
  let line: string;
  if (regressed > 0) {
    verdict = 'not-validated'; exitCode = 1;
    line = `NOT VALIDATED: ${regressed} regression(s)`;
  } else if (infra > 0) {
    verdict = 'infra-error'; exitCode = 69;
    line = infraCells.length > 0
      ? `INCOMPLETE: ${infraCells.length} cell(s) hit infrastructure errors (${infraCells.map((c) => `${c.id}: ${c.state}`).join(', ')})`
      : `INCOMPLETE: ${cmp.counts['infra-error']} case result(s) missing`;
  } else if (fixed > 0) {
    verdict = 'validated'; exitCode = 0;
    line = `VALIDATED: ${fixed} case(s) fixed, no regressions`;
  } else {
    verdict = 'not-validated'; exitCode = 1;
    line = `NOT VALIDATED: no case went from failing to passing`;
  }
  const notBuilt = cmp.columns.flatMap((c) => c.variants.filter((v) => v.state === 'patch-failed' || v.state === 'build-failed').map((v) => `${v.variant} on ${c.id}: ${v.state}`));
  if (notBuilt.length > 0) line += `; ${notBuilt.join('; ')}`;
  if (cmp.unexpected.length > 0) line += `; ${cmp.unexpected.length} unexpected outcome(s)`;
  return { verdict, exitCode, line, unexpected: cmp.unexpected };
}
