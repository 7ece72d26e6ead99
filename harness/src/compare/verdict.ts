// Comparison is a pure function from the *plan* and the cell results to a
// matrix with closed verdicts and one overall answer. Its rules are the
// README's "Verdict rules"; each has a row in harness/test/unit/compare/
// verdict-rules.test.ts. In short: a planned result that is not there is
// never silence, an infrastructure failure is never a pass, and a failure
// the variant's own kernel caused (panic, hang, timeout) is the variant's.
import type {
  CaseOutcome, CellResult, CellState, ColumnStatus, MatrixColumn, MatrixRow, MatrixTable, OverallVerdict,
  PlannedCell, ProgramStatus, Verdict, VariantOutcome,
} from '../results/types.ts';
import { KERNEL_FAILURE_STATES, NOT_BUILT_STATES } from '../results/types.ts';
import { isStateExpect, type Expectation } from '../plan/config.ts';
import { findingSignature } from '../parse/console.ts';
import { inRange } from '../util/version-range.ts';

/** The row that holds console findings (WARN, BUG, oops, KASAN, lockdep, RCU stall...) per column. */
export const CONSOLE_ROW = 'console/findings';
const CONSOLE_PROGRAM = 'console';

/** Most significant first: the headline of a cell with several variants. */
export const VERDICT_RANK: readonly Verdict[] = [
  'regressed', 'missing', 'infra-error', 'crashed', 'flaky', 'lost', 'still-failing', 'fail', 'fixed', 'pass', 'skip',
];

/** Verdicts that keep a run from VALIDATED unless the expectations account for them. */
const EXPLAINABLE: ReadonlySet<Verdict> = new Set(['crashed', 'lost', 'still-failing', 'fail']);
/** Verdicts that keep a run from VALIDATED, whatever the expectations say. */
const ALWAYS_BLOCKING: ReadonlySet<Verdict> = new Set(['regressed', 'flaky', 'infra-error', 'missing']);

/** Outcomes that say nothing about the case in this column (the row does not apply). */
const NOT_HERE: ReadonlySet<VariantOutcome> = new Set(['n/a', 'absent', 'not-built']);

/** Combine the repeats of one (case, kernel, arch, variant). */
export function combineRepeats(outcomes: readonly VariantOutcome[]): VariantOutcome {
  if (outcomes.length === 0) return 'missing';
  for (const strongest of ['missing', 'infra-error', 'not-built'] as const) if (outcomes.includes(strongest)) return strongest;
  const distinct = new Set(outcomes);
  if (distinct.size > 1) return 'flaky';
  return outcomes[0] as VariantOutcome;
}

/** The verdict for base against one other variant. */
export function pairVerdict(base: VariantOutcome, other: VariantOutcome): Verdict {
  for (const o of ['missing', 'infra-error', 'flaky'] as const) if (base === o || other === o) return o;
  // No evidence of "before": a base kernel that crashed cannot vouch for a fix.
  if (base === 'crashed') return 'crashed';
  const baseRan = base === 'pass' || base === 'fail';
  if (other === 'fail' || other === 'crashed') return base === 'fail' ? 'still-failing' : 'regressed';
  if (other === 'pass') return base === 'fail' ? 'fixed' : 'pass';
  // skip, absent, n/a: the variant no longer gives the result base gave.
  return baseRan ? 'lost' : 'skip';
}

/** The verdict where there is no other variant to compare with. */
export function singleVerdict(base: VariantOutcome): Verdict {
  switch (base) {
    case 'missing': case 'infra-error': case 'flaky': case 'crashed': case 'fail': case 'pass': return base;
    default: return 'skip';
  }
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

interface ExpectationQuery { caseId?: string; kernelId: string; version: string | null; arch: string; variant: string }

/** Whether `e` speaks about this (case or cell, kernel, arch, variant). */
export function expectationMatches(e: Expectation, q: ExpectationQuery): boolean {
  if (q.caseId === undefined ? !isStateExpect(e.expect) : isStateExpect(e.expect)) return false;
  if (q.caseId !== undefined && !(e.cases ?? []).some((c) => globMatch(c, q.caseId as string))) return false;
  if (e.kernels && !e.kernels.includes(q.kernelId)) return false;
  if (e.arches && !e.arches.includes(q.arch)) return false;
  if (e.variants && !e.variants.includes(q.variant)) return false;
  if (e.versions && (!q.version || !inRange(q.version, e.versions))) return false;
  return true;
}

/** The last matching expectation wins (later lines refine earlier ones). */
export function expectationFor(exps: readonly Expectation[], q: ExpectationQuery, used?: Set<number>): Expectation | undefined {
  let found: Expectation | undefined;
  exps.forEach((e, i) => {
    if (!expectationMatches(e, q)) return;
    used?.add(i);
    found = e;
  });
  return found;
}

export interface CompareInput {
  /** Every cell the run had to produce, in run order (base before its variants). */
  plan: readonly PlannedCell[];
  cells: readonly CellResult[];
  expectations: readonly Expectation[];
  /** Variant order from the config ("base" first). */
  variants: readonly string[];
}

export type CompareOutput = MatrixTable;

interface Outcome { outcome: VariantOutcome; reason?: string }

const columnOf = (p: { kernel: string; arch: string }) => `${p.kernel}/${p.arch}`;

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

export function compare(input: CompareInput): CompareOutput {
  const results = new Map<string, CellResult>();
  for (const c of input.cells) results.set(c.id, c);
  const warnings: string[] = [];
  const planned = new Set(input.plan.map((p) => p.id));
  for (const c of input.cells) if (!planned.has(c.id)) warnings.push(`result for ${c.id} is not part of this run's plan: ignored`);

  // Columns and their variants, in plan order.
  const columns: MatrixColumn[] = [];
  const colOf = new Map<string, MatrixColumn>();
  const plansOf = new Map<string, PlannedCell[]>(); // "col|variant" -> repeats
  for (const p of input.plan) {
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
    if (!plansOf.has(key)) plansOf.set(key, []);
    plansOf.get(key)?.push(p);
    const status: ColumnStatus = { variant: p.variant, state: r ? r.state : 'missing', ...(r?.error ? { message: r.error.message.split('\n')[0] } : r ? {} : { message: 'planned, but the run has no result for it' }) };
    const existing = col.variants.find((v) => v.variant === p.variant);
    if (!existing) col.variants.push(status);
    else if (existing.state === 'ok' && status.state !== 'ok') Object.assign(existing, status); // a repeat can fail alone
  }

  // Per-cell outcomes by case id, and the rows (case id -> program), in order of appearance.
  const rowProgram = new Map<string, string>();
  const perCell = new Map<string, Map<string, Outcome & { metrics?: Record<string, number | string> }>>();
  for (const p of input.plan) {
    const cell = results.get(p.id);
    if (!cell) continue;
    const map = new Map<string, Outcome & { metrics?: Record<string, number | string> }>();
    perCell.set(cell.id, map);
    const withCases = new Set<string>();
    for (const suite of cell.suites) {
      for (const c of suite.cases) {
        if (!rowProgram.has(c.id)) rowProgram.set(c.id, suite.suite);
        withCases.add(suite.suite);
        map.set(c.id, { outcome: fromCase(c.outcome, cell.state), reason: c.reason, ...(Object.keys(c.metrics).length ? { metrics: c.metrics } : {}) });
      }
    }
    // A planned program that produced nothing is a result: "<program>/exit" says what became of it.
    for (const program of programsOf(cell) ?? []) {
      if (withCases.has(program.label)) continue;
      const id = `${program.label}/exit`;
      if (!rowProgram.has(id)) rowProgram.set(id, program.label);
      map.set(id, program.status === 'not-built' ? fromNotBuilt(program) : fromState(cell, program.label));
    }
  }

  const used = new Set<number>();
  const unexpected: string[] = [];
  const counts = Object.fromEntries(VERDICT_RANK.map((v) => [v, 0])) as Record<Verdict, number>;

  // Cell-state expectations (e.g. v1-as-posted: patch-failed).
  for (const col of columns) {
    for (const status of col.variants) {
      if (status.state === 'missing') continue;
      const e = expectationFor(input.expectations, { kernelId: col.kernel, version: col.version, arch: col.arch, variant: status.variant }, used);
      if (!e) continue;
      status.expected = status.state === e.expect;
      if (!status.expected) unexpected.push(`${status.variant} on ${col.id}: expected the cell to end ${e.expect}, got ${status.state}${e.note ? ` (${e.note})` : ''}`);
    }
  }

  /** Hold each variant's outcome against its expectation; `explained` when every non-pass outcome was expected. */
  const judge = (caseId: string, col: MatrixColumn, vo: Record<string, VariantOutcome>) => {
    const expected: { outcome: string; met: boolean; note?: string }[] = [];
    let explained = true;
    for (const [v, actual] of Object.entries(vo)) {
      // No result to hold against anything: the column or the run says why.
      if (['not-built', 'n/a', 'missing', 'infra-error'].includes(actual)) continue;
      const e = expectationFor(input.expectations, { caseId, kernelId: col.kernel, version: col.version, arch: col.arch, variant: v }, used);
      if (actual !== 'pass' && !(e && e.expect === actual)) explained = false;
      if (!e) continue;
      const met = actual === e.expect;
      expected.push({ outcome: `${v}:${e.expect}`, met, note: e.note });
      if (!met) unexpected.push(`${caseId} on ${col.id} ${v}: expected ${e.expect}, got ${actual}${e.note ? ` (${e.note})` : ''}`);
    }
    return { expected, explained };
  };

  const outcomeOf = (caseId: string, program: string, col: MatrixColumn, variant: string): Outcome & { metrics?: Record<string, number | string> } => {
    const repeats = (plansOf.get(`${col.id}|${variant}`) ?? []).map((p): Outcome & { metrics?: Record<string, number | string> } => {
      const cell = results.get(p.id);
      if (!cell) return { outcome: 'missing', reason: `${p.id}: planned, no result in this run` };
      if (NOT_BUILT_STATES.has(cell.state)) return { outcome: 'not-built' };
      const programs = programsOf(cell);
      if (programs === null) return fromState(cell, program);
      const mine = programs.find((x) => x.label === program);
      if (!mine) return { outcome: 'n/a' };
      if (mine.status === 'not-built') return fromNotBuilt(mine);
      const own = perCell.get(cell.id)?.get(caseId);
      if (own) return own;
      if (cell.state === 'ok') return { outcome: 'absent', reason: `${program} ran to its end without reporting this case` };
      return fromState(cell, caseId);
    });
    const outcome = combineRepeats(repeats.map((r) => r.outcome));
    const pick = repeats.find((r) => r.outcome === outcome) ?? repeats.find((r) => r.outcome !== 'pass') ?? repeats[0];
    return { outcome, reason: pick?.reason, metrics: pick?.metrics };
  };

  const rows: MatrixRow[] = [];
  for (const [caseId, program] of rowProgram) {
    const row: MatrixRow = { caseId, program, cells: {} };
    for (const col of columns) {
      const present = col.variants.map((v) => v.variant);
      const got = Object.fromEntries(present.map((v) => [v, outcomeOf(caseId, program, col, v)]));
      const vo: Record<string, VariantOutcome> = Object.fromEntries(present.map((v) => [v, got[v]?.outcome ?? 'missing']));
      // Nothing here says anything about this case (other arch's program, a variant that never built): no cell.
      if (present.every((v) => NOT_HERE.has(vo[v] ?? 'missing'))) continue;
      const base = vo.base ?? 'missing';
      if (base === 'not-built') continue; // the column says base did not build; no case can be judged
      const judged = present.filter((v) => v !== 'base' && vo[v] !== 'not-built');
      const verdicts = judged.length > 0 ? judged.map((v) => pairVerdict(base, vo[v] ?? 'missing')) : [singleVerdict(base)];
      const verdict = VERDICT_RANK.find((r) => verdicts.includes(r)) ?? 'pass';
      counts[verdict]++;
      const { expected, explained } = judge(caseId, col, vo);
      // The reason that goes with the headline: the judged variant that gave it, else base.
      const teller = [...judged].reverse().find((v) => pairVerdict(base, vo[v] ?? 'missing') === verdict && got[v]?.reason) ?? 'base';
      const reason = got[teller]?.reason ?? got.base?.reason;
      const metrics: Record<string, Record<string, number | string>> = {};
      for (const v of present) if (got[v]?.metrics) metrics[v] = got[v]?.metrics as Record<string, number | string>;
      row.cells[col.id] = {
        verdict,
        outcomes: vo,
        ...(reason ? { reason } : {}),
        ...(expected.length ? { expected } : {}),
        ...(EXPLAINABLE.has(verdict) && explained ? { explained: true } : {}),
        ...(Object.keys(metrics).length ? { metrics } : {}),
      };
    }
    if (Object.keys(row.cells).length > 0) rows.push(row);
  }
  const consoleRow = compareConsoles(columns, plansOf, results);
  if (consoleRow) {
    for (const [colId, cell] of Object.entries(consoleRow.cells)) {
      const { expected, explained } = judge(CONSOLE_ROW, colOf.get(colId) as MatrixColumn, cell.outcomes);
      if (expected.length > 0) cell.expected = expected;
      if (EXPLAINABLE.has(cell.verdict) && explained) cell.explained = true;
      counts[cell.verdict]++;
    }
    rows.push(consoleRow);
  }

  input.expectations.forEach((e, i) => {
    if (used.has(i)) return;
    const what = e.cases ? `cases ${e.cases.join(', ')}` : `cell state ${e.expect}`;
    const where = [e.kernels && `kernels ${e.kernels.join(', ')}`, e.arches && `arches ${e.arches.join(', ')}`, e.variants && `variants ${e.variants.join(', ')}`, e.versions && `versions ${e.versions}`].filter(Boolean).join('; ');
    warnings.push(`expectation #${i + 1} (${what}${where ? `; ${where}` : ''}: expect ${e.expect}) matched nothing in this run`);
  });

  const variants = input.variants.filter((v) => input.plan.some((p) => p.variant === v));
  return { columns, variants, rows, unexpected, warnings, counts };
}

/**
 * One row per run: each column's console findings. A finding on a variant
 * that base does not show is a regression of that column; findings on base
 * alone fail a base-only column and are a note where a variant lost them.
 */
function compareConsoles(columns: MatrixColumn[], plansOf: Map<string, PlannedCell[]>, results: Map<string, CellResult>): MatrixRow | null {
  const row: MatrixRow = { caseId: CONSOLE_ROW, program: CONSOLE_PROGRAM, cells: {} };
  for (const col of columns) {
    const sigs = new Map<string, Map<string, string>>(); // variant -> signature -> headline
    const vo: Record<string, VariantOutcome> = {};
    for (const status of col.variants) {
      const cells = (plansOf.get(`${col.id}|${status.variant}`) ?? []).map((p) => results.get(p.id));
      if (cells.some((c) => !c)) { vo[status.variant] = 'missing'; continue; }
      const booted = (cells as CellResult[]).filter((c) => c.console.log !== null);
      if (booted.length === 0) { vo[status.variant] = cells.some((c) => c?.state === 'infra-error') ? 'infra-error' : 'not-built'; continue; }
      const mine = new Map<string, string>();
      for (const c of booted) for (const f of c.console.findings) mine.set(findingSignature(f), `${f.kind}: ${f.text}`);
      sigs.set(status.variant, mine);
      vo[status.variant] = mine.size > 0 ? 'fail' : 'pass';
    }
    if (!sigs.has('base') && !Object.values(vo).includes('missing')) continue;
    const base = sigs.get('base') ?? new Map<string, string>();
    const others = [...sigs.keys()].filter((v) => v !== 'base');
    const fresh = others.flatMap((v) => [...(sigs.get(v) ?? new Map<string, string>())].filter(([s]) => !base.has(s)).map(([, h]) => `${v}: ${h}`));
    let verdict: Verdict;
    let reason: string | undefined;
    if (Object.values(vo).includes('missing')) verdict = 'missing';
    else if (vo.base === 'infra-error') verdict = 'infra-error';
    else if (fresh.length > 0) { verdict = 'regressed'; reason = `new on ${fresh.join('; ')}`; }
    else if (base.size === 0) verdict = 'pass';
    else if (others.length === 0) { verdict = 'fail'; reason = [...base.values()].join('; '); }
    else if (others.some((v) => (sigs.get(v)?.size ?? 0) > 0)) { verdict = 'still-failing'; reason = [...base.values()].join('; '); }
    else { verdict = 'pass'; reason = `only on base: ${[...base.values()].join('; ')}`; }
    row.cells[col.id] = { verdict, outcomes: vo, ...(reason ? { reason } : {}) };
  }
  return Object.keys(row.cells).length > 0 ? row : null;
}

/** Exit code, one-line verdict and every blocker, for the whole run. */
export function overallVerdict(cmp: CompareOutput, plan: readonly PlannedCell[], cells: readonly CellResult[]): OverallVerdict {
  const byId = new Map(cells.map((c) => [c.id, c]));
  const incomplete: string[] = [];
  const blockers: string[] = [];
  for (const p of plan) {
    const c = byId.get(p.id);
    if (!c) { incomplete.push(`${p.id}: no result`); continue; }
    if (c.state === 'infra-error') incomplete.push(`${p.id}: infrastructure error${c.error ? ` [${c.error.code}] ${c.error.message.split('\n')[0]}` : ''}`);
  }
  for (const col of cmp.columns) {
    for (const v of col.variants) {
      if (v.state === 'ok' || v.state === 'missing' || v.state === 'infra-error' || v.expected) continue;
      blockers.push(`${v.variant} on ${col.id}: ${v.state}${v.message ? ` (${v.message})` : ''}`);
    }
  }
  const byVerdict = new Map<Verdict, string[]>();
  for (const row of cmp.rows) {
    for (const [colId, cell] of Object.entries(row.cells)) {
      if (!(ALWAYS_BLOCKING.has(cell.verdict) || (EXPLAINABLE.has(cell.verdict) && !cell.explained))) continue;
      const list = byVerdict.get(cell.verdict) ?? [];
      list.push(`${row.caseId} on ${colId}`);
      byVerdict.set(cell.verdict, list);
    }
  }
  for (const v of VERDICT_RANK) {
    const list = byVerdict.get(v);
    if (list) blockers.push(`${list.length} ${v}: ${list.slice(0, 5).join(', ')}${list.length > 5 ? `, ... (${list.length - 5} more)` : ''}`);
  }
  for (const u of cmp.unexpected) blockers.push(`unexpected: ${u}`);
  blockers.unshift(...incomplete);

  const { fixed, regressed } = cmp.counts;
  const present = plan.filter((p) => byId.has(p.id)).length;
  const cut = (t: string) => (t.length > 160 ? `${t.slice(0, 157)}...` : t);
  const more = (n: number) => (n > 0 ? ` (+${n} more below)` : '');
  let verdict: OverallVerdict['verdict'];
  let exitCode: number;
  let line: string;
  if (regressed > 0 || cmp.unexpected.length > 0) {
    verdict = 'not-validated'; exitCode = 1;
    line = `NOT VALIDATED: ${[regressed > 0 && `${regressed} regression(s)`, cmp.unexpected.length > 0 && `${cmp.unexpected.length} unexpected outcome(s)`].filter(Boolean).join(', ')}; ${blockers.length} blocker(s) in all`;
  } else if (incomplete.length > 0 || cmp.counts.missing > 0 || cmp.counts['infra-error'] > 0) {
    verdict = 'infra-error'; exitCode = 69;
    line = `INCOMPLETE: ${present} of ${plan.length} planned cell(s) have results${incomplete.length > 0 ? `, ${incomplete.length} without a usable one (${incomplete.slice(0, 3).join('; ')}${incomplete.length > 3 ? '; ...' : ''})` : ''}${cmp.counts.missing + cmp.counts['infra-error'] > 0 ? `; ${cmp.counts.missing + cmp.counts['infra-error']} case result(s) missing` : ''}`;
  } else if (blockers.length > 0) {
    verdict = 'not-validated'; exitCode = 1;
    line = `NOT VALIDATED: ${cut(blockers[0] ?? '')}${more(blockers.length - 1)}`;
  } else if (fixed > 0) {
    verdict = 'validated'; exitCode = 0;
    line = `VALIDATED: ${fixed} case(s) fixed, nothing regressed, all ${plan.length} planned cell(s) in`;
  } else {
    verdict = 'not-validated'; exitCode = 1;
    line = 'NOT VALIDATED: no case went from failing to passing';
    blockers.push('no case went from failing on base to passing on a variant');
  }
  return { verdict, exitCode, line, unexpected: cmp.unexpected, blockers };
}
