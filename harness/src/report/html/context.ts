// What every part of the page needs while its view is built: the run, the
// logs, the common suite of the case ids and the page's anchors.
import type { CaseResult, CellResult, RunSummary } from '../../results/types.ts';
import { commonSuite, formatDuration, type LogText, type RenderExtras } from '../common.ts';

/** Anchors that stay readable ("cell-6.1_x86_64_base") and unique. */
export class Anchors {
  private used = new Set<string>();
  private byKey = new Map<string, string>();
  get(prefix: string, key: string): string {
    const k = `${prefix}\u0000${key}`;
    const known = this.byKey.get(k);
    if (known) return known;
    const base = `${prefix}-${key.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    this.byKey.set(k, id);
    return id;
  }
}

/**
 * Anchors are handed out on first use and a clash gets a "-2" suffix, so the
 * views are built in page order (header to case details): the same run gives
 * the same ids.
 */
export interface Ctx {
  run: RunSummary;
  logs: Record<string, LogText[]>;
  anchors: Anchors;
  /** The suite every case id shares, left out of the case labels; null if they differ. */
  suite: string | null;
}

export function newCtx(run: RunSummary, extras: RenderExtras): Ctx {
  return { run, logs: extras.logs ?? {}, anchors: new Anchors(), suite: commonSuite(run.matrix.rows) };
}

export function cellAnchor(ctx: Ctx, cell: CellResult): string {
  return ctx.anchors.get('cell', cell.id);
}

export function logAnchor(ctx: Ctx, cell: CellResult, index: number): string {
  return ctx.anchors.get('log', `${cell.id}/${index}`);
}

/** The id of the case detail of matrix row r, column c (the link target of that matrix cell). */
export function detailId(r: number, c: number): string {
  return `d-${r}-${c}`;
}

export function caseResult(cell: CellResult, caseId: string): CaseResult | undefined {
  for (const s of cell.suites) {
    const r = s.cases.find((c) => c.id === caseId);
    if (r) return r;
  }
  return undefined;
}

export function suiteLogOf(cell: CellResult, caseId: string): string | undefined {
  return cell.suites.find((s) => s.cases.some((c) => c.id === caseId))?.outputLog;
}

/** "10 pass, 2 skip"; "–" for a cell that ran no suite. */
export function caseCounts(c: CellResult): string {
  const n = { pass: 0, fail: 0, skip: 0, error: 0 };
  for (const s of c.suites) for (const x of s.cases) n[x.outcome === 'infra-error' ? 'error' : x.outcome]++;
  const total = n.pass + n.fail + n.skip + n.error;
  if (total === 0) return c.suites.length === 0 ? '–' : 'no cases';
  return (['pass', 'fail', 'skip', 'error'] as const).filter((k) => n[k] > 0).map((k) => `${n[k]} ${k}`).join(', ');
}

export function buildText(c: CellResult): string {
  if (!c.build) return '–';
  if (c.build.cached) return `cached (built in ${formatDuration(c.build.durationMs)})`;
  if (c.build.incremental) return `incremental, ${c.build.compiledObjects} objects, ${formatDuration(c.build.durationMs)}`;
  return `full, ${formatDuration(c.build.durationMs)}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
