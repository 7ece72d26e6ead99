// One level of a KTAP stream: a header, a plan, results and diagnostics, plus
// nested blocks that become the `subtests` of the result line that follows
// them. Nesting comes in two shapes:
//   - indentation (KTAP v1 and kunit: 4 spaces per level, 2 in some tests);
//   - a "# " prefix, as run_kselftest.sh prints each test program's own TAP
//     inside the runner's, starting with "# TAP version 13".
// Read the way kunit.py reads it: a cursor over the lines, one small handler
// per kind of line, and a nested run parsed as a block of its own.
import { classifyKtapLine, collectMetrics, parseResultDescription, type KtapLine } from './ktap-line.ts';
import type { KtapCase, KtapDiagnostic, KtapPlan, KtapProblem } from './ktap-types.ts';
import { LineCursor, type SourceLine } from './line-cursor.ts';
import { indentOf } from './lines.ts';

export type { SourceLine } from './line-cursor.ts';

export interface KtapBlock {
  version: string | null;
  plan: KtapPlan | null;
  cases: KtapCase[];
  /** Diagnostics with no result after them at this level. */
  trailing: KtapDiagnostic[];
  /** kunit's "# Subtest: name", naming a nested block. */
  subtestName: string | null;
  bailedOut: string | null;
  /** No planned result missing, no bail out, every nested block complete. */
  complete: boolean;
  firstLine: number;
  lastLine: number;
}

export const MISSING_REASON = 'missing: output ended before this case (crashed?)';
const BAILED_REASON = 'missing: not run, the test bailed out';
// A number skipped while later ones were printed: the test's bookkeeping, not a crash.
const GAP_REASON = 'missing: no result line with this number';
const TIMEOUT_REASON = 'missing: the test timed out before this case';
const ORPHAN_REASON = 'missing: no result line after its subtests';
// A corrupt plan ("1..4294967295") must not make us allocate millions of cases.
const MAX_FILLED = 10_000;
// kunit nests three levels; deeper is garbage, and unbounded recursion on a
// staircase of indentation would overflow the stack instead of reporting it.
const MAX_DEPTH = 16;

const SUBTEST = /^Subtest:\s*(.*)$/;
// "# " (or a bare "#") that run_kselftest.sh puts before each line of a test.
const HASH_PREFIX = /^#(?: |$)/;

/** What the handlers of one block share while its lines are read. */
interface BlockState {
  readonly block: KtapBlock;
  /** 0 for the document. */
  readonly depth: number;
  /** Shared by every level of the document. */
  readonly problems: KtapProblem[];
  /** Result numbers printed so far. */
  readonly seen: Set<number>;
  /** Diagnostics waiting for the result line they explain. */
  pending: KtapDiagnostic[];
  /** The nested block waiting for its parent's result line. */
  child: KtapBlock | null;
  /** The number the next result should carry; null before the first result. */
  next: number | null;
  planAfterResults: boolean;
  /** What was pending when the test bailed out: it explains the bail out. */
  beforeBail: KtapDiagnostic[];
}

type LineOf<K extends KtapLine['kind']> = Extract<KtapLine, { kind: K }>;

/**
 * Parse `lines` (indentation and "# " nesting prefix already removed) as one
 * block. `depth` 0 is the document; problems go to the shared list.
 */
export function parseKtapBlock(lines: SourceLine[], depth: number, problems: KtapProblem[]): KtapBlock {
  const s: BlockState = {
    block: {
      version: null, plan: null, cases: [], trailing: [], subtestName: null, bailedOut: null,
      complete: true, firstLine: lines[0]?.line ?? 0, lastLine: lines[0]?.line ?? 0,
    },
    depth, problems, seen: new Set(), pending: [], child: null, next: null, planAfterResults: false, beforeBail: [],
  };
  const cursor = new LineCursor(lines);
  // Every reader moves the cursor past at least the line it was given.
  for (let src = cursor.peek(); src; src = cursor.peek()) readLine(s, cursor, src);
  return finishBlock(s);
}

/** Hand the current line, or the nested run it opens, to its handler. */
function readLine(s: BlockState, cursor: LineCursor, src: SourceLine): void {
  if (src.text.trim() === '') { cursor.skip(); return; }
  if (indentOf(src.text) > 0) { readIndented(s, cursor, src); return; }
  const parsed = classifyKtapLine(src.text);
  if (!parsed) { cursor.skip(); onOther(s, src); return; }
  s.block.lastLine = src.line;
  if (parsed.kind === 'diagnostic' && opensHashBlock(s, parsed.text)) { readHashPrefixed(s, cursor); return; }
  cursor.skip();
  switch (parsed.kind) {
    case 'header': onHeader(s, src, parsed); break;
    case 'plan': onPlan(s, src, parsed); break;
    case 'result': onResult(s, src, parsed); break;
    case 'bail': onBail(s, parsed); break;
    case 'diagnostic': onDiagnostic(s, src, parsed); break;
  }
}

// --- one handler per kind of line ---

function onHeader(s: BlockState, src: SourceLine, parsed: LineOf<'header'>): void {
  const b = s.block;
  if (b.version === null && b.cases.length === 0 && b.plan === null) b.version = parsed.version;
  else report(s, src.line, `unexpected "${parsed.version}" header ignored`);
}

function onPlan(s: BlockState, src: SourceLine, parsed: LineOf<'plan'>): void {
  if (s.block.plan) {
    report(s, src.line, `second plan ${parsed.start}..${parsed.end} ignored`);
    return;
  }
  s.block.plan = { start: parsed.start, end: parsed.end, ...(parsed.skip !== undefined ? { skip: parsed.skip } : {}) };
  s.planAfterResults = s.block.cases.length > 0;
}

function onBail(s: BlockState, parsed: LineOf<'bail'>): void {
  if (s.block.bailedOut !== null) return;
  s.block.bailedOut = parsed.reason;
  // What ran up to the bail out explains it; what follows ("# Totals") is the document's.
  s.beforeBail = s.pending;
  s.pending = [];
}

function onDiagnostic(s: BlockState, src: SourceLine, parsed: LineOf<'diagnostic'>): void {
  const subtest = s.depth > 0 && s.block.subtestName === null ? SUBTEST.exec(parsed.text) : null;
  if (subtest) s.block.subtestName = (subtest[1] ?? '').trim();
  else if (parsed.text.trim() !== '') s.pending.push({ line: src.line, text: parsed.text.trim() });
}

/** Not KTAP. Top level: console noise. Nested: the test program's own chatter. */
function onOther(s: BlockState, src: SourceLine): void {
  if (s.depth > 0) s.pending.push({ line: src.line, text: src.text.trim() });
}

function onResult(s: BlockState, src: SourceLine, parsed: LineOf<'result'>): void {
  if (s.block.bailedOut !== null) {
    report(s, src.line, 'result after "Bail out!" ignored');
    return;
  }
  if (s.planAfterResults) report(s, src.line, 'result after the trailing plan');
  const number = checkNumber(s, src.line, parsed.number);
  const parts = parseResultDescription(parsed.ok, parsed.description);
  const nested = s.child;
  s.child = null;
  const diags = byLine([...s.pending, ...(nested?.trailing ?? [])]);
  s.pending = [];
  if (parts.comment !== undefined) diags.push({ line: src.line, text: parts.comment });
  const c: KtapCase = {
    number,
    name: parts.name !== '' ? parts.name : (nested?.subtestName ?? ''),
    status: parts.status,
    ...(parts.directive !== undefined && { directive: parts.directive }),
    ...(parts.reason !== undefined && { reason: parts.reason }),
    diagnostics: diags.map((d) => d.text),
    metrics: {},
    ...(nested && { subtests: nested.cases }),
    line: src.line,
  };
  if (nested) adoptSubtests(s, c, nested);
  addCase(s, c, diags);
}

/** The result's number (the expected one when it has none); a slip in the numbering is a problem. */
function checkNumber(s: BlockState, line: number, printed: number | null): number {
  const expected = nextNumber(s);
  const number = printed ?? expected;
  if (printed === null) report(s, line, `result has no test number; taken as ${number}`);
  else if (s.seen.has(number)) report(s, line, `duplicate test number ${number}`);
  else if (number !== expected) report(s, line, `test number ${number} out of order (expected ${expected})`);
  return number;
}

/** What the nested block claimed by result `c` says about it: incomplete, timed out, bailed out. */
function adoptSubtests(s: BlockState, c: KtapCase, nested: KtapBlock): void {
  if (!nested.complete) s.block.complete = false;
  // The runner's "# TIMEOUT" says why the nested output stopped.
  if (c.status === 'timeout') markTimedOut(nested.cases);
  if (nested.bailedOut !== null) {
    report(s, nested.lastLine, `subtests of case ${c.number} bailed out: ${nested.bailedOut || '(no reason)'}`);
  }
}

// --- nested runs ---

const isIndented = (text: string): boolean => indentOf(text) > 0;
// An unindented kernel message in the middle does not end an indented run.
const passesIndentedRun = (text: string): boolean => text.trim() === '' || classifyKtapLine(text) === null;
const hasHashPrefix = (text: string): boolean => HASH_PREFIX.test(text);
const passesHashRun = (text: string): boolean => text.trim() === '' || (indentOf(text) === 0 && classifyKtapLine(text) === null);

/** An indented run: nested blocks, or continuation text when it holds no KTAP line. */
function readIndented(s: BlockState, cursor: LineCursor, src: SourceLine): void {
  const group = cursor.takeRun(isIndented, passesIndentedRun);
  const shaped = group.filter((l) => classifyKtapLine(l.text.trimStart()) !== null);
  const tooDeep = s.depth >= MAX_DEPTH;
  if (shaped.length > 0 && tooDeep) report(s, src.line, `nesting deeper than ${MAX_DEPTH} levels read as text`);
  if (shaped.length === 0 || tooDeep) {
    // Indented non-KTAP text: a test's continuation lines when nested
    // (kunit's "Expected ..."), a console stack trace at the top.
    if (s.depth > 0) s.pending = s.pending.concat(group.map((l) => ({ line: l.line, text: l.text.trim() })));
    return;
  }
  // Lines indented less than the block's KTAP lines are not part of it:
  // on the console those are stack traces (" <TASK>") of a crash.
  const cut = shaped.reduce((min, l) => Math.min(min, indentOf(l.text)), Infinity);
  const dedented = group.filter((l) => indentOf(l.text) >= cut).map((l) => ({ line: l.line, text: l.text.slice(cut) }));
  for (const segment of splitAtHeaders(dedented)) absorb(s, segment);
}

function opensHashBlock(s: BlockState, diagnostic: string): boolean {
  return s.depth < MAX_DEPTH && classifyKtapLine(diagnostic)?.kind === 'header';
}

/** A "# "-prefixed run from its "# TAP version" line: a test program's TAP inside the runner's. */
function readHashPrefixed(s: BlockState, cursor: LineCursor): void {
  const group = cursor.takeRun(hasHashPrefix, passesHashRun);
  absorb(s, group.map((l) => ({ line: l.line, text: l.text.replace(HASH_PREFIX, '') })));
}

/** Parse a nested run as a block of its own, to wait for the result line that claims it. */
function absorb(s: BlockState, group: SourceLine[]): void {
  const nested = parseKtapBlock(group, s.depth + 1, s.problems);
  s.block.lastLine = Math.max(s.block.lastLine, nested.lastLine);
  const structural = nested.version !== null || nested.plan !== null || nested.cases.length > 0
    || nested.subtestName !== null || nested.bailedOut !== null;
  if (!structural) {
    // Only indented diagnostics: they belong to this level.
    s.pending = s.pending.concat(nested.trailing);
    return;
  }
  if (s.child) {
    flushOrphan(s, s.child, ORPHAN_REASON, s.pending);
    s.pending = [];
  }
  s.child = nested;
}

/**
 * Two nested blocks can follow each other with no parent result between them
 * (the first parent's result was lost); a header, or kunit's "# Subtest:",
 * after a plan or result starts the next block.
 */
function splitAtHeaders(lines: SourceLine[]): SourceLine[][] {
  const segments: SourceLine[][] = [];
  let current: SourceLine[] = [];
  let started = false;
  for (const l of lines) {
    const parsed = classifyKtapLine(l.text);
    const opens = parsed?.kind === 'header' || (parsed?.kind === 'diagnostic' && SUBTEST.test(parsed.text));
    if (opens && started) {
      segments.push(current);
      current = [];
      started = false;
    }
    if (parsed?.kind === 'plan' || parsed?.kind === 'result') started = true;
    current.push(l);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

// --- the end of the block ---

function finishBlock(s: BlockState): KtapBlock {
  // After a bail out, only what came before it explains the missing cases.
  const bailed = s.block.bailedOut !== null;
  let explaining = bailed ? s.beforeBail : s.pending;
  if (s.child) {
    flushOrphan(s, s.child, bailed ? BAILED_REASON : MISSING_REASON, explaining);
    s.child = null;
    explaining = [];
  }
  const unclaimed = fillMissing(s, explaining);
  s.block.trailing = byLine(bailed ? [...unclaimed, ...s.pending] : unclaimed);
  if (bailed) s.block.complete = false;
  return s.block;
}

// A nested block whose parent result never came: report it as an error case
// so its subtests (and whatever passed before the crash) are not lost.
function flushOrphan(s: BlockState, orphan: KtapBlock, reason: string, before: KtapDiagnostic[]): void {
  report(s, orphan.firstLine, 'subtests starting here have no result line');
  const diags = byLine([...before, ...orphan.trailing]);
  addCase(s, {
    number: nextNumber(s), name: orphan.subtestName ?? '', status: 'error', reason,
    diagnostics: diags.map((d) => d.text), metrics: {}, subtests: orphan.cases, line: orphan.firstLine,
  }, diags);
  s.block.complete = false;
}

// Add planned-but-absent numbers as error cases. Diagnostics that were still
// waiting for a result (e.g. "# running shmem ...") go to the first of them,
// as they are the best hint of where the test died; returns them if unclaimed.
function fillMissing(s: BlockState, waiting: KtapDiagnostic[]): KtapDiagnostic[] {
  const { block, seen } = s;
  const plan = block.plan;
  if (!plan) return waiting;
  for (const c of block.cases) {
    if (c.number < plan.start || c.number > plan.end) {
      report(s, c.line, `test number ${c.number} is outside the plan ${plan.start}..${plan.end}`);
    }
  }
  const missing: number[] = [];
  for (let n = plan.start; n <= plan.end && missing.length <= MAX_FILLED; n++) if (!seen.has(n)) missing.push(n);
  if (missing.length === 0) return waiting;
  block.complete = false;
  if (missing.length > MAX_FILLED) {
    report(s, block.lastLine, `plan ${plan.start}..${plan.end} is missing more than ${MAX_FILLED} results; not listing them`);
    return waiting;
  }
  report(s, block.lastLine, `plan ${plan.start}..${plan.end} but ${missing.length} result(s) missing: ${ranges(missing)}`);
  let highest = 0;
  for (const n of seen) highest = Math.max(highest, n);
  missing.forEach((number, k) => {
    const diags = k === 0 ? waiting : [];
    const reason = block.bailedOut !== null ? BAILED_REASON : number < highest ? GAP_REASON : MISSING_REASON;
    const c: KtapCase = {
      number, name: '', status: 'error', reason,
      diagnostics: diags.map((d) => d.text), metrics: {}, line: block.lastLine,
    };
    for (const d of diags) collectMetrics(d.text, c.metrics);
    block.cases.push(c);
  });
  return [];
}

// --- small shared steps ---

function addCase(s: BlockState, c: KtapCase, diags: KtapDiagnostic[]): void {
  for (const d of diags) collectMetrics(d.text, c.metrics);
  s.block.cases.push(c);
  s.seen.add(c.number);
  s.next = c.number + 1;
}

function nextNumber(s: BlockState): number {
  return s.next ?? s.block.plan?.start ?? 1;
}

function report(s: BlockState, line: number, message: string): void {
  s.problems.push({ line, message });
}

function markTimedOut(cases: KtapCase[]): void {
  for (const c of cases) {
    if (c.reason === MISSING_REASON) c.reason = TIMEOUT_REASON;
    if (c.subtests) markTimedOut(c.subtests);
  }
}

function byLine(diags: KtapDiagnostic[]): KtapDiagnostic[] {
  return [...diags].sort((a, b) => a.line - b.line);
}

/** [6,7,8,10] -> "6-8, 10" */
export function ranges(numbers: number[]): string {
  const out: string[] = [];
  let from = numbers[0];
  let to = from;
  for (const n of numbers.slice(1)) {
    if (to !== undefined && n === to + 1) { to = n; continue; }
    if (from !== undefined) out.push(from === to ? `${from}` : `${from}-${to}`);
    from = n;
    to = n;
  }
  if (from !== undefined) out.push(from === to ? `${from}` : `${from}-${to}`);
  return out.join(', ');
}
