// The verdict rules as pure functions of outcomes (README "Verdict rules").
import type { Verdict, VariantOutcome } from '../results/types.ts';

/** Most significant first: the headline of a cell with several variants. */
export const VERDICT_RANK: readonly Verdict[] = [
  'regressed', 'missing', 'infra-error', 'crashed', 'flaky', 'lost', 'still-failing', 'fail', 'fixed', 'pass', 'skip',
];

/** Verdicts that keep a run from VALIDATED unless the expectations account for them. */
export const EXPLAINABLE: ReadonlySet<Verdict> = new Set(['crashed', 'lost', 'still-failing', 'fail']);
/** Verdicts that keep a run from VALIDATED, whatever the expectations say. */
export const ALWAYS_BLOCKING: ReadonlySet<Verdict> = new Set(['regressed', 'flaky', 'infra-error', 'missing']);

/** Outcomes that say nothing about the case in this column (the row does not apply). */
export const NOT_HERE: ReadonlySet<VariantOutcome> = new Set(['n/a', 'absent', 'not-built']);

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

/** The headline of several verdicts: the most significant. */
export function headline(verdicts: readonly Verdict[]): Verdict {
  return VERDICT_RANK.find((r) => verdicts.includes(r)) ?? 'pass';
}
