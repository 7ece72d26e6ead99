// The run's answer: exit code, one line, and every blocker (README "Exit
// codes" and "Verdict rules"). A regression or an unexpected outcome is an
// answer even when other results are missing; missing or infrastructure
// results make the run INCOMPLETE; anything else that blocks is NOT VALIDATED.
import type { CellResult, MatrixTable, OverallVerdict, PlannedCell, Verdict } from '../results/types.ts';
import { ALWAYS_BLOCKING, EXPLAINABLE, VERDICT_RANK } from './rules.ts';

/** Exit code, one-line verdict and every blocker, for the whole run. */
export function overallVerdict(cmp: MatrixTable, plan: readonly PlannedCell[], cells: readonly CellResult[]): OverallVerdict {
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
      // already-present: the kernel has the change; base's own results answer for the column.
      if (v.state === 'ok' || v.state === 'missing' || v.state === 'infra-error' || v.state === 'already-present' || v.expected) continue;
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
    const variants = cmp.columns.flatMap((c) => c.variants.filter((v) => v.variant !== 'base').map((v) => ({ col: c.id, state: v.state })));
    const everywhere = variants.length > 0 && variants.every((v) => v.state === 'already-present');
    line = everywhere
      ? `NOT VALIDATED: nothing to test: the change is already in ${[...new Set(variants.map((v) => v.col))].join(', ')}`
      : 'NOT VALIDATED: no case went from failing to passing';
    blockers.push(everywhere ? 'every variant is already present in its kernel: nothing was built to compare with base' : 'no case went from failing on base to passing on a variant');
  }
  return { verdict, exitCode, line, unexpected: cmp.unexpected, blockers };
}
