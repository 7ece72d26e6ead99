// What each variant gave for each case in each column, read from the cell
// results in the light of the plan: a planned cell without a result is
// 'missing', a variant that never built is 'not-built', a program not planned
// there is 'n/a', a case a finished program did not report is 'absent', and
// a case the kernel's own failure kept from running is 'crashed'.
import type { CaseOutcome, CellResult, CellState, ColumnStatus, MatrixColumn, PlannedCell, ProgramStatus, VariantOutcome } from '../results/types.ts';
import { KERNEL_FAILURE_STATES, NOT_BUILT_STATES } from '../results/types.ts';
import { combineRepeats } from './rules.ts';

export interface Outcome {
  outcome: VariantOutcome;
  reason?: string;
  metrics?: Record<string, number | string>;
}

/** The plan and the results, indexed for lookups by column, variant and case. */
export interface MatrixIndex {
  results: Map<string, CellResult>;
  columns: MatrixColumn[];
  colOf: Map<string, MatrixColumn>;
  /** "kernel/arch|variant" -> its planned repeats. */
  plansOf: Map<string, PlannedCell[]>;
  /** Case id -> the program that reports it, in order of first appearance. */
  rowProgram: Map<string, string>;
  /** Cell id -> case id -> outcome. */
  perCell: Map<string, Map<string, Outcome>>;
}

export const columnOf = (p: { kernel: string; arch: string }) => `${p.kernel}/${p.arch}`;

/** A case's own outcome, read in the light of how its cell ended. */
function fromCase(outcome: CaseOutcome, state: CellState): VariantOutcome {
  switch (outcome) {
    case 'pass': case 'fail': case 'skip': case 'infra-error': return outcome;
    case 'error':
      if (KERNEL_FAILURE_STATES.has(state)) return 'crashed';
      return state === 'infra-error' ? 'infra-error' : 'fail';
  }
}

/** What a cell says about a case it has no result for, from how the cell ended. */
function fromState(cell: CellResult, what: string): Outcome {
  const why = cell.error?.message.split('\n')[0];
  if (KERNEL_FAILURE_STATES.has(cell.state)) return { outcome: 'crashed', reason: `${what} never ran: ${cell.state}${why ? `: ${why}` : ''}` };
  if (cell.state === 'infra-error') return { outcome: 'infra-error', reason: `${what}: ${why ?? 'infrastructure error'}` };
  return { outcome: 'missing', reason: `${what} produced no result` };
}

function programsOf(cell: CellResult): ProgramStatus[] | null {
  return cell.programs ?? (cell.suites.length > 0 ? cell.suites.map((s) => ({ label: s.suite, status: 'ready' as const })) : null);
}

/** What a program that never got built means for each of its cases. */
function fromNotBuilt(program: ProgramStatus): Outcome {
  return { outcome: program.error?.kind === 'user' ? 'fail' : 'infra-error', reason: `${program.label} not built: ${program.error?.message.split('\n')[0] ?? 'unknown error'}` };
}

/** Columns (kernel/arch) and their variants, in plan order; a repeat that fails marks its variant. */
function indexColumns(plan: readonly PlannedCell[], results: Map<string, CellResult>): Pick<MatrixIndex, 'columns' | 'colOf' | 'plansOf'> {
  const columns: MatrixColumn[] = [];
  const colOf = new Map<string, MatrixColumn>();
  const plansOf = new Map<string, PlannedCell[]>();
  for (const p of plan) {
    const colId = columnOf(p);
    let col = colOf.get(colId);
    if (!col) {
      col = { id: colId, kernel: p.kernel, arch: p.arch, version: null, variants: [] };
      colOf.set(colId, col);
      columns.push(col);
    }
    const r = results.get(p.id);
    col.version ??= r?.kernel.version ?? null;
    const key = `${colId}|${p.variant}`;
    plansOf.set(key, [...(plansOf.get(key) ?? []), p]);
    const status: ColumnStatus = { variant: p.variant, state: r ? r.state : 'missing', ...(r?.error ? { message: r.error.message.split('\n')[0] } : r ? {} : { message: 'planned, but the run has no result for it' }) };
    const existing = col.variants.find((v) => v.variant === p.variant);
    if (!existing) col.variants.push(status);
    else if (existing.state === 'ok' && status.state !== 'ok') Object.assign(existing, status);
  }
  return { columns, colOf, plansOf };
}

/** Every cell's outcomes by case id; a planned program that produced nothing gets "<program>/exit" saying what became of it. */
function indexCases(plan: readonly PlannedCell[], results: Map<string, CellResult>): Pick<MatrixIndex, 'rowProgram' | 'perCell'> {
  const rowProgram = new Map<string, string>();
  const perCell = new Map<string, Map<string, Outcome>>();
  for (const p of plan) {
    const cell = results.get(p.id);
    if (!cell) continue;
    const map = new Map<string, Outcome>();
    perCell.set(cell.id, map);
    const withCases = new Set<string>();
    for (const suite of cell.suites) {
      for (const c of suite.cases) {
        if (!rowProgram.has(c.id)) rowProgram.set(c.id, suite.suite);
        withCases.add(suite.suite);
        map.set(c.id, { outcome: fromCase(c.outcome, cell.state), reason: c.reason, ...(Object.keys(c.metrics).length ? { metrics: c.metrics } : {}) });
      }
    }
    for (const program of programsOf(cell) ?? []) {
      if (withCases.has(program.label)) continue;
      const id = `${program.label}/exit`;
      if (!rowProgram.has(id)) rowProgram.set(id, program.label);
      map.set(id, program.status === 'not-built' ? fromNotBuilt(program) : fromState(cell, program.label));
    }
  }
  return { rowProgram, perCell };
}

export function indexMatrix(plan: readonly PlannedCell[], cells: readonly CellResult[]): MatrixIndex {
  const results = new Map(cells.map((c) => [c.id, c]));
  return { results, ...indexColumns(plan, results), ...indexCases(plan, results) };
}

/** One repeat's outcome for a case. */
function repeatOutcome(ix: MatrixIndex, p: PlannedCell, caseId: string, program: string): Outcome {
  const cell = ix.results.get(p.id);
  if (!cell) return { outcome: 'missing', reason: `${p.id}: planned, no result in this run` };
  if (NOT_BUILT_STATES.has(cell.state)) return { outcome: 'not-built' };
  const programs = programsOf(cell);
  if (programs === null) return fromState(cell, program);
  const mine = programs.find((x) => x.label === program);
  if (!mine) return { outcome: 'n/a' };
  if (mine.status === 'not-built') return fromNotBuilt(mine);
  const own = ix.perCell.get(cell.id)?.get(caseId);
  if (own) return own;
  if (cell.state === 'ok') return { outcome: 'absent', reason: `${program} ran to its end without reporting this case` };
  return fromState(cell, caseId);
}

/** A variant's outcome for a case in a column, its repeats combined. */
export function outcomeOf(ix: MatrixIndex, caseId: string, program: string, col: MatrixColumn, variant: string): Outcome {
  const repeats = (ix.plansOf.get(`${col.id}|${variant}`) ?? []).map((p) => repeatOutcome(ix, p, caseId, program));
  const outcome = combineRepeats(repeats.map((r) => r.outcome));
  const pick = repeats.find((r) => r.outcome === outcome) ?? repeats.find((r) => r.outcome !== 'pass') ?? repeats[0];
  return { outcome, reason: pick?.reason, metrics: pick?.metrics };
}
