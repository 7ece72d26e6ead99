// Bisection over an ordered list (the kernels of a config, oldest first):
// which index to test next, and when the first change is known. Pure.
//
// Nothing is assumed about the ends: the oldest answered index is the
// reference, the first change is the lowest index whose answer differs
// from it (the outcome is taken to change once, as in any bisection).
// Untestable indices ('skip') are stepped around; if they hide the
// change, the answer lists every index it could be.
export type ProbeAnswer = 'old' | 'new' | 'skip';

export type SearchState =
  | { kind: 'test'; index: number }
  | { kind: 'found'; index: number; from: ProbeAnswer; to: ProbeAnswer }
  | { kind: 'ambiguous'; candidates: number[] }
  /** Every answered index agrees (or none answered: `outcome` null). */
  | { kind: 'no-change'; outcome: ProbeAnswer | null };

const answered = (a: ProbeAnswer | undefined): a is 'old' | 'new' => a === 'old' || a === 'new';

export function nextVersionProbe(results: readonly (ProbeAnswer | undefined)[]): SearchState {
  const n = results.length;
  const untested = (i: number) => results[i] === undefined;
  const ref = results.findIndex(answered);
  if (ref < 0) {
    const next = results.findIndex((_, i) => untested(i));
    return next >= 0 ? { kind: 'test', index: next } : { kind: 'no-change', outcome: null };
  }
  const refAnswer = results[ref] as 'old' | 'new';
  const hi = results.findIndex((a, i) => i > ref && answered(a) && a !== refAnswer);
  if (hi < 0) {
    // No change seen yet: the newest testable index decides. If it agrees
    // with the reference, nothing between them changed; skipped newer ones
    // may still hide a change.
    let top = n - 1;
    while (top > ref && results[top] === 'skip') top--;
    if (top > ref && untested(top)) return { kind: 'test', index: top };
    const above = range(top + 1, n);
    return above.length > 0 ? { kind: 'ambiguous', candidates: above } : { kind: 'no-change', outcome: refAnswer };
  }
  let lo = hi - 1;
  while (lo > ref && results[lo] !== refAnswer) lo--;
  const inside = middle(results, lo, hi);
  if (inside !== null) return { kind: 'test', index: inside };
  const between = range(lo + 1, hi).filter((i) => results[i] === 'skip');
  if (between.length > 0) return { kind: 'ambiguous', candidates: [...between, hi] };
  return { kind: 'found', index: hi, from: refAnswer, to: results[hi] as 'old' | 'new' };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

/** The untested index strictly between lo and hi closest to their midpoint (lower one on a tie), or null. */
function middle(results: readonly (ProbeAnswer | undefined)[], lo: number, hi: number): number | null {
  const mid = (lo + hi) / 2;
  const open = range(lo + 1, hi).filter((i) => results[i] === undefined);
  open.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b);
  return open[0] ?? null;
}
