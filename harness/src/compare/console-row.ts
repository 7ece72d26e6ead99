// The console-findings row: per column, the kernel's own complaints (WARN,
// BUG, oops, panic, KASAN, UBSAN, lockdep, hung task, RCU stall) compared
// between variants by signature (parse/console.ts findingSignature).
import type { CellResult, MatrixColumn, MatrixRow, PlannedCell, Verdict, VariantOutcome } from '../results/types.ts';
import { findingSignature } from '../parse/console.ts';

/** The row that holds console findings per column. */
export const CONSOLE_ROW = 'console/findings';
const CONSOLE_PROGRAM = 'console';

/**
 * One row per run: each column's console findings. A finding on a variant
 * that base does not show is a regression of that column; findings on base
 * alone fail a base-only column and are a note where a variant lost them.
 */
export function compareConsoles(columns: MatrixColumn[], plansOf: Map<string, PlannedCell[]>, results: Map<string, CellResult>): MatrixRow | null {
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
