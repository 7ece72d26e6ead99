// What the three renderers share: verdict names, durations, text clean-up,
// the per-column view of the matrix (which variants ran, skip footnotes,
// notable metrics) and the KTAP lines of one case. Pure: no fs, no clock.
import type { CellResult, CellState, MatrixColumn, MatrixRow, RunSummary, Verdict } from '../results/types.ts';
import { NOT_BUILT_STATES } from '../results/types.ts';
import { CONSOLE_ROW } from '../compare/verdict.ts';

/** A log handed to the renderers by the caller (who read it from the cell dir). */
export interface LogText {
  /** Relative to the cell dir, e.g. "console.log", "softdirty_uffdwp.out". */
  name: string;
  text: string;
}

export interface RenderExtras {
  /** Keyed by cell id ("6.1/x86_64/base"). */
  logs?: Record<string, LogText[]>;
}

/** Compact verdict names: upper case where a reader must look. */
export const VERDICT_LABEL: Record<Verdict, string> = {
  fixed: 'FIXED',
  regressed: 'REGRESSED',
  'still-failing': 'STILL-FAILING',
  pass: 'pass',
  skip: 'skip',
  'infra-error': 'INFRA',
  flaky: 'FLAKY',
  fail: 'FAIL',
  lost: 'LOST',
  crashed: 'CRASHED',
  missing: 'MISSING',
};

export const VERDICT_MEANING: Record<Verdict, string> = {
  fixed: 'fails on base, passes patched',
  regressed: 'passes on base, fails patched',
  'still-failing': 'fails on base and patched',
  pass: 'passes',
  skip: 'skipped (reason in the footnote)',
  'infra-error': 'no result: the harness or host failed',
  flaky: 'repeats disagree',
  fail: 'fails (no patched variant to compare with)',
  lost: 'base ran it, the variant skips it or no longer reports it',
  crashed: "the base kernel crashed or hung before this case's result",
  missing: 'planned, but the run has no result',
};

/** Order of the legend and the counts line. */
export const VERDICT_ORDER: readonly Verdict[] = ['regressed', 'lost', 'crashed', 'still-failing', 'fail', 'fixed', 'pass', 'flaky', 'infra-error', 'missing', 'skip'];

/** What a non-ok cell state means, said plainly. */
export const STATE_PHRASE: Record<CellState | 'missing', string> = {
  ok: 'ok',
  missing: 'no result',
  'patch-failed': 'does not apply',
  'already-present': 'already present',
  'build-failed': 'does not build',
  'boot-failed': 'did not boot',
  timeout: 'timed out',
  crashed: 'kernel crashed',
  'infra-error': 'infrastructure error',
};

/** States in which a cell did not get through all its suites. */
export const CELL_PROBLEM_STATES: ReadonlySet<CellState> = new Set(['patch-failed', 'build-failed', 'boot-failed', 'timeout', 'crashed', 'infra-error']);
/** States a reader is told about next to the problems: the variant was not built because the kernel already has it. */
export const CELL_NOTICE_STATES: ReadonlySet<CellState> = new Set([...CELL_PROBLEM_STATES, 'already-present']);

/** "850 ms", "4.3 s", "39 s", "1 min 01 s", "1 h 02 min"; `compact` drops the spaces ("1m01s") for tables. */
export function formatDuration(ms: number, compact = false): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const u = compact ? { ms: 'ms', s: 's', min: 'm', h: 'h', sep: '' } : { ms: ' ms', s: ' s', min: ' min', h: ' h', sep: ' ' };
  if (ms < 1000) return `${Math.round(ms)}${u.ms}`;
  const s = ms / 1000;
  if (s < 9.95) return `${s.toFixed(1)}${u.s}`;
  if (s < 59.5) return `${Math.round(s)}${u.s}`;
  const totalS = Math.round(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}${u.min}${u.sep}${String(totalS % 60).padStart(2, '0')}${u.s}`;
  const totalMin = Math.round(totalS / 60);
  return `${Math.floor(totalMin / 60)}${u.h}${u.sep}${String(totalMin % 60).padStart(2, '0')}${u.min}`;
}

/**
 * "state: message", without repeating the phrase the message already has.
 * A patch that does not apply reads best as what git said, then which file:
 * "does not apply: mm/userfaultfd.c: corrupt patch at line 67 (patch x.eml)".
 */
export function describeProblem(state: CellState | 'missing', message: string | undefined): string {
  const phrase = STATE_PHRASE[state];
  const m = (message ?? '').split('\n')[0]?.trim() ?? '';
  if (m === '') return phrase;
  const apply = /^(.+?) does not apply to \S+: (.+)$/.exec(m);
  if (state === 'patch-failed' && apply) {
    const label = apply[1] ?? '';
    return `${phrase}: ${apply[2] ?? ''} (patch ${label.slice(label.lastIndexOf('/') + 1)})`;
  }
  // vm.ts says "boot-failed: kernel panic: ...": the state name becomes the phrase.
  if (m.startsWith(`${state}: `)) return `${phrase}: ${m.slice(state.length + 2)}`;
  return m.toLowerCase().includes(phrase.toLowerCase()) ? m : `${phrase}: ${m}`;
}

// ESC [ ... final byte, and ESC followed by one character (charset switches).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;
// Anything XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates,
// U+FFFE/U+FFFF); HTML renders them as garbage too.
const INVALID_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Log text made safe to embed: ANSI colour codes dropped, "\r\n" and stray
 * "\r" turned into line ends, other invalid characters shown as U+FFFD.
 */
export function cleanText(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(INVALID_CHARS, '\uFFFD');
}

export interface Tail {
  lines: string[];
  total: number;
  dropped: number;
}

/** The last `max` lines (after clean-up); a final newline is not a line. */
export function tailLines(text: string, max: number, maxLineChars = 1000): Tail {
  const all = cleanText(text).split('\n');
  if (all[all.length - 1] === '') all.pop();
  const lines = all.slice(Math.max(0, all.length - max)).map((l) => (l.length > maxLineChars ? `${l.slice(0, maxLineChars)} …[${l.length - maxLineChars} more chars]` : l));
  return { lines, total: all.length, dropped: all.length - lines.length };
}

/** The column a cell belongs to, "kernel/arch". */
export function columnIdOf(cell: CellResult): string {
  return `${cell.kernel.id}/${cell.arch}`;
}

export function cellsOfColumn(run: RunSummary, colId: string): CellResult[] {
  return run.cells.filter((c) => columnIdOf(c) === colId);
}

/** Variant names in the run's order, for a stable order of outcomes. */
export function variantOrder(run: RunSummary, col: MatrixColumn): string[] {
  const present = col.variants.map((v) => v.variant);
  const ordered = run.matrix.variants.filter((v) => present.includes(v));
  return [...ordered, ...present.filter((v) => !ordered.includes(v))];
}

/**
 * [variant, outcome] of one matrix cell, in variant order, leaving out the
 * variants that were never built (their column says why) and 'missing' ones.
 */
export function judgedOutcomes(run: RunSummary, col: MatrixColumn, outcomes: Record<string, string>): [string, string][] {
  return variantOrder(run, col).flatMap((v): [string, string][] => {
    const st = col.variants.find((x) => x.variant === v)?.state;
    const o = outcomes[v];
    if (o === undefined || o === 'not-built' || o === 'n/a' || (st !== undefined && st !== 'missing' && NOT_BUILT_STATES.has(st))) return [];
    return [[v, o]];
  });
}

/** If every case id shares one suite, that suite (so tables can show bare case names). */
export function commonSuite(rows: readonly MatrixRow[]): string | null {
  let suite: string | null = null;
  for (const r of rows) {
    if (r.caseId === CONSOLE_ROW) continue; // the console row is everybody's
    const slash = r.caseId.indexOf('/');
    if (slash < 0) return null;
    const s = r.caseId.slice(0, slash);
    if (suite === null) suite = s;
    else if (suite !== s) return null;
  }
  return suite;
}

export function caseLabel(caseId: string, suite: string | null): string {
  return suite !== null && caseId.startsWith(`${suite}/`) ? caseId.slice(suite.length + 1) : caseId;
}

const SUPERSCRIPT = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

export function superscript(n: number): string {
  return String(n).split('').map((d) => SUPERSCRIPT[Number(d)] ?? d).join('');
}

export interface SkipNote {
  /** 1-based footnote number, unique across the whole table. */
  number: number;
  reason: string;
  /** Column ids the reason appears in, in column order. */
  columns: string[];
  /** How many (case, column) entries carry it. */
  count: number;
}

/**
 * Skip reasons as footnotes: each distinct reason gets one number, listed once
 * with the columns it applies to, instead of being repeated on every case.
 */
export function skipNotes(run: RunSummary): { notes: SkipNote[]; numberOf: (caseId: string, colId: string) => number | null } {
  const byReason = new Map<string, SkipNote>();
  const at = new Map<string, number>();
  for (const col of run.matrix.columns) {
    for (const row of run.matrix.rows) {
      const cell = row.cells[col.id];
      if (!cell || cell.verdict !== 'skip') continue;
      const reason = (cell.reason ?? '').trim() || 'no reason given';
      let note = byReason.get(reason);
      if (!note) {
        note = { number: byReason.size + 1, reason, columns: [], count: 0 };
        byReason.set(reason, note);
      }
      if (!note.columns.includes(col.id)) note.columns.push(col.id);
      note.count++;
      at.set(`${row.caseId}\u0000${col.id}`, note.number);
    }
  }
  return { notes: [...byReason.values()], numberOf: (caseId, colId) => at.get(`${caseId}\u0000${colId}`) ?? null };
}

export interface NotableMetric {
  caseId: string;
  colId: string;
  metric: string;
  /** [variant, value] in variant order; variants without the metric are left out. */
  values: [string, number | string][];
}

/**
 * Metrics worth a line of their own: numbers whose value differs between the
 * variants of a column (base 64 vs patched 0). Equal values (pages=64
 * everywhere) and strings (kernel=6.1.119-...) are noise in a reply; the
 * HTML shows them all.
 */
export function notableMetrics(run: RunSummary): NotableMetric[] {
  const out: NotableMetric[] = [];
  for (const row of run.matrix.rows) {
    for (const col of run.matrix.columns) {
      const m = row.cells[col.id]?.metrics;
      if (!m) continue;
      const variants = variantOrder(run, col).filter((v) => m[v] !== undefined);
      const keys: string[] = [];
      for (const v of variants) for (const k of Object.keys(m[v] ?? {})) if (!keys.includes(k)) keys.push(k);
      for (const metric of keys) {
        const values = variants.flatMap((v): [string, number | string][] => {
          const value = m[v]?.[metric];
          return value === undefined ? [] : [[v, value]];
        });
        const distinct = new Set(values.map(([, value]) => String(value)));
        if (values.length >= 2 && distinct.size > 1 && values.every(([, value]) => typeof value === 'number')) out.push({ caseId: row.caseId, colId: col.id, metric, values });
      }
    }
  }
  return out;
}

/** The diagnostic that best explains a failure: the last one, minus the "case_name: " prefix the selftest adds. */
export function failureLine(caseName: string, diagnostics: readonly string[]): string | null {
  for (let i = diagnostics.length - 1; i >= 0; i--) {
    const d = (diagnostics[i] ?? '').trim();
    if (d === '') continue;
    return d.startsWith(`${caseName}: `) ? d.slice(caseName.length + 2) : d;
  }
  return null;
}

/** The bare case name of "suite/case". */
export function caseName(caseId: string): string {
  const slash = caseId.indexOf('/');
  return slash < 0 ? caseId : caseId.slice(slash + 1);
}

function sameLog(a: string, b: string): boolean {
  if (a === b) return true;
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return base(a) === base(b);
}

export function findLog(logs: readonly LogText[] | undefined, name: string | null | undefined): LogText | undefined {
  if (!logs || !name) return undefined;
  return logs.find((l) => sameLog(l.name, name));
}

export interface CaseKtap {
  /** Where the lines came from: the suite's own output, or rebuilt from results.json. */
  source: 'log' | 'results';
  /** First line's number in the suite output (1-based), when from the log. */
  firstLine: number | null;
  lines: string[];
}

const RESULT_LINE = /^\s*(?:not ok|ok)\b/;
// A report looks up every case of every cell in the same few logs: split each once.
const splitCache = new WeakMap<LogText, string[]>();

function logLines(log: LogText): string[] {
  let lines = splitCache.get(log);
  if (!lines) {
    lines = cleanText(log.text).split('\n');
    splitCache.set(log, lines);
  }
  return lines;
}
const HEADER_OR_PLAN = /^\s*(?:K?TAP version \d+|\d+\.\.\d+)/;

/**
 * The KTAP lines of one case in one cell: the diagnostics printed since the
 * previous result, then its result line. Taken from the suite output when the
 * caller passed it (found by the parser's line number, or by name when the
 * caller passed only a tail of the log), rebuilt from the parsed case otherwise.
 */
export function caseKtapLines(cell: CellResult, caseId: string, logs?: readonly LogText[]): CaseKtap | null {
  for (const suite of cell.suites) {
    const result = suite.cases.find((c) => c.id === caseId);
    if (!result) continue;
    const name = caseName(caseId);
    const kcase = suite.ktap?.cases.find((c) => c.name === name);
    const log = findLog(logs, suite.outputLog);
    if (log && kcase) {
      const all = logLines(log);
      const own = new RegExp(`^\\s*(?:not ok|ok)(?:\\s+\\d+)?(?:\\s+-)?\\s+${escapeRegExp(name)}(?:\\s|$)`);
      const isResult = (l: string | undefined) => l !== undefined && own.test(l);
      let at = kcase.line - 1;
      const exact = isResult(all[at]);
      if (!exact) at = all.findIndex(isResult);
      if (at >= 0) {
        let from = at;
        while (from > 0 && at - from < 200) {
          const prev = all[from - 1] ?? '';
          if (RESULT_LINE.test(prev) || HEADER_OR_PLAN.test(prev) || prev.startsWith('[... ')) break;
          from--;
        }
        return { source: 'log', firstLine: exact ? from + 1 : null, lines: all.slice(from, at + 1) };
      }
    }
    const lines = result.diagnostics.map((d) => `# ${d}`);
    const num = kcase?.number ?? suite.cases.indexOf(result) + 1;
    const directive = result.outcome === 'skip' || result.outcome === 'error'
      ? ` # ${result.outcome === 'skip' ? 'SKIP' : 'ERROR'}${result.reason ? ` ${result.reason}` : ''}` : '';
    const ok = result.outcome === 'pass' || result.outcome === 'skip';
    lines.push(`${ok ? 'ok' : 'not ok'} ${num} ${name}${directive}`);
    return { source: 'results', firstLine: null, lines: lines.map(cleanText) };
  }
  return null;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** First line of a console finding, for one-line listings. */
export function findingHeadline(text: string): string {
  return cleanText(text).split('\n')[0]?.trim() ?? '';
}
