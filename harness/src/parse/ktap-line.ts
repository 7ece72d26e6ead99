// One KTAP/TAP line at a time: what kind of line it is, and what a result
// line or a diagnostic says. No state here; nesting lives in ktap-block.ts.
import type { KtapStatus } from './ktap-types.ts';

export type KtapLine =
  | { kind: 'header'; version: string }
  | { kind: 'plan'; start: number; end: number; skip?: string }
  | { kind: 'result'; ok: boolean; number: number | null; description: string }
  | { kind: 'bail'; reason: string }
  | { kind: 'diagnostic'; text: string };

const HEADER = /^(K?TAP) version (\d+)\s*$/;
// "1..0 # SKIP no tests" is a valid plan: a whole program skipped, with its reason.
const PLAN = /^(\d+)\.\.(\d+)\s*(?:#\s*(.*))?$/;
const PLAN_SKIP = /^SKIP\b[:\s]*(.*)$/i;
// "ok 1 name", "not ok 2 - name" (older TAP 14 kunit), "ok 3 # SKIP why"
// (kselftest's skip helper prints no name). Digits glued to text ("ok 12-foo")
// are a description, not a number.
const RESULT = /^(not ok|ok)(?=\s|$)(?:\s+(\d+)(?=\s|$))?(?:\s+-(?=\s|$))?\s*(.*)$/;
const BAIL = /^Bail out!\s*(.*)$/;
// "# text"; a bare "#" too. "#PF: ..." (an x86 oops line) is not one.
const DIAGNOSTIC = /^#(?: (.*))?$/;

/**
 * Classify a line whose indentation has already been removed; null for
 * anything that is not KTAP (console noise, test program chatter), which the
 * KTAP spec says parsers must tolerate.
 */
export function classifyKtapLine(text: string): KtapLine | null {
  const t = text.trimEnd();
  let m = HEADER.exec(t);
  if (m) return { kind: 'header', version: `${m[1]} version ${m[2]}` };
  m = PLAN.exec(t);
  if (m) {
    const skip = PLAN_SKIP.exec(m[3]?.trim() ?? '');
    return { kind: 'plan', start: Number(m[1]), end: Number(m[2]), ...(skip ? { skip: skip[1]?.trim() ?? '' } : {}) };
  }
  m = RESULT.exec(t);
  if (m) {
    return {
      kind: 'result',
      ok: m[1] === 'ok',
      number: m[2] === undefined ? null : Number(m[2]),
      description: m[3] ?? '',
    };
  }
  m = BAIL.exec(t);
  if (m) return { kind: 'bail', reason: m[1] ?? '' };
  m = DIAGNOSTIC.exec(t);
  if (m) return { kind: 'diagnostic', text: m[1] ?? '' };
  return null;
}

export interface ResultParts {
  name: string;
  status: KtapStatus;
  directive?: string;
  reason?: string;
  /** A trailing "# ..." that is not a directive: kept as a diagnostic. */
  comment?: string;
}

// Keywords after " # " on a result line. TAP says they are case-insensitive;
// kselftest prints "# error" in lower case and the runner adds "# exit=N".
const DIRECTIVE = /^(SKIP|TODO|XFAIL|XPASS|TIMEOUT|ERROR)(?![\w=])[:\s]*(.*)$/i;
const EXIT_DIRECTIVE = /^exit=(-?\d+)\s*(.*)$/;

/** Split "name # DIRECTIVE reason" and derive the status. */
export function parseResultDescription(ok: boolean, description: string): ResultParts {
  const hash = /(?:^|\s)#/.exec(description);
  const name = (hash ? description.slice(0, hash.index) : description).trim();
  const comment = hash ? description.slice(hash.index).trim().slice(1).trim() : '';
  const parts: ResultParts = { name, status: ok ? 'pass' : 'fail' };
  if (comment === '') return parts;

  const exit = EXIT_DIRECTIVE.exec(comment);
  if (exit) {
    // The runner's exit code explains a failure; it does not change it.
    parts.directive = 'EXIT';
    parts.reason = `exit=${exit[1] ?? ''}`;
    return parts;
  }
  const d = DIRECTIVE.exec(comment);
  if (!d) {
    parts.comment = comment;
    return parts;
  }
  const directive = (d[1] ?? '').toUpperCase();
  parts.directive = directive;
  const reason = (d[2] ?? '').trim();
  if (reason !== '') parts.reason = reason;
  parts.status = statusFor(ok, directive);
  return parts;
}

function statusFor(ok: boolean, directive: string): KtapStatus {
  switch (directive) {
    case 'SKIP': return 'skip';
    case 'TODO': return 'todo';
    case 'XFAIL': return 'xfail';
    // An unexpected pass means the test's model of the kernel is wrong.
    case 'XPASS': return 'fail';
    case 'TIMEOUT': return 'timeout';
    case 'ERROR': return 'error';
    default: return ok ? 'pass' : 'fail';
  }
}

// key=value tokens; a value may be quoted, and stops at a comma or semicolon
// so "pages=64, faults=3" reads as two metrics.
const METRIC = /(?:^|\s)([A-Za-z_][\w.-]*)=("[^"]*"|[^\s,;]+)/g;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/** Add the key=value tokens of one diagnostic to `into` (later lines win). */
export function collectMetrics(text: string, into: Record<string, number | string>): void {
  for (const m of text.matchAll(METRIC)) {
    const key = m[1];
    const raw = m[2];
    if (key === undefined || raw === undefined) continue;
    if (raw.startsWith('"')) into[key] = raw.slice(1, -1);
    else into[key] = NUMBER.test(raw) ? Number(raw) : raw;
  }
}
