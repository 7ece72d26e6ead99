// The config's expectations held against outcomes and cell states. Every
// expectation that matches something is marked used, so the ones that match
// nothing (a typo in a pattern, kernel, arch or variant) become warnings.
import type { MatrixColumn, VariantOutcome } from '../results/types.ts';
import { isStateExpect, type Expectation } from '../plan/config.ts';
import { inRange } from '../util/version-range.ts';

export interface ExpectationQuery { caseId?: string; kernelId: string; version: string | null; arch: string; variant: string }

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

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

/** Holds a run's expectations and collects what they find: unmet ones, and which were used. */
export class ExpectationBook {
  readonly unexpected: string[] = [];
  private readonly used = new Set<number>();

  constructor(private readonly exps: readonly Expectation[]) {}

  /** Cell-state expectations (e.g. the as-posted email: patch-failed), marked on the column's variants. */
  checkStates(columns: readonly MatrixColumn[]): void {
    for (const col of columns) {
      for (const status of col.variants) {
        if (status.state === 'missing') continue;
        const e = expectationFor(this.exps, { kernelId: col.kernel, version: col.version, arch: col.arch, variant: status.variant }, this.used);
        if (!e) continue;
        status.expected = status.state === e.expect;
        if (!status.expected) this.unexpected.push(`${status.variant} on ${col.id}: expected the cell to end ${e.expect}, got ${status.state}${e.note ? ` (${e.note})` : ''}`);
      }
    }
  }

  /** Each variant's outcome against its expectation; `explained` when every non-pass outcome was expected. */
  judge(caseId: string, col: MatrixColumn, vo: Record<string, VariantOutcome>): { expected: { outcome: string; met: boolean; note?: string }[]; explained: boolean } {
    const expected: { outcome: string; met: boolean; note?: string }[] = [];
    let explained = true;
    for (const [v, actual] of Object.entries(vo)) {
      // No result to hold against anything: the column or the run says why.
      if (['not-built', 'n/a', 'missing', 'infra-error'].includes(actual)) continue;
      const e = expectationFor(this.exps, { caseId, kernelId: col.kernel, version: col.version, arch: col.arch, variant: v }, this.used);
      if (actual !== 'pass' && !(e && e.expect === actual)) explained = false;
      if (!e) continue;
      const met = actual === e.expect;
      expected.push({ outcome: `${v}:${e.expect}`, met, note: e.note });
      if (!met) this.unexpected.push(`${caseId} on ${col.id} ${v}: expected ${e.expect}, got ${actual}${e.note ? ` (${e.note})` : ''}`);
    }
    return { expected, explained };
  }

  /** One warning per expectation that matched nothing in the run. */
  unusedWarnings(): string[] {
    return this.exps.flatMap((e, i) => {
      if (this.used.has(i)) return [];
      const what = e.cases ? `cases ${e.cases.join(', ')}` : `cell state ${e.expect}`;
      const where = [e.kernels && `kernels ${e.kernels.join(', ')}`, e.arches && `arches ${e.arches.join(', ')}`, e.variants && `variants ${e.variants.join(', ')}`, e.versions && `versions ${e.versions}`].filter(Boolean).join('; ');
      return [`expectation #${i + 1} (${what}${where ? `; ${where}` : ''}: expect ${e.expect}) matched nothing in this run`];
    });
  }
}
