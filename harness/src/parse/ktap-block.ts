// One level of a KTAP stream: a header, a plan, results and diagnostics, plus
// nested blocks that become the `subtests` of the result line that follows
// them. Nesting comes in two shapes:
//   - indentation (KTAP v1 and kunit: 4 spaces per level, 2 in some tests);
//   - a "# " prefix, as run_kselftest.sh prints each test program's own TAP
//     inside the runner's, starting with "# TAP version 13".
import type { KtapCase, KtapPlan, KtapProblem } from './ktap-types.ts';
import { classifyKtapLine, collectMetrics, parseResultDescription } from './ktap-line.ts';
import { indentOf } from './lines.ts';

export interface SourceLine { line: number; text: string }
export interface Diagnostic { line: number; text: string }

export interface KtapBlock {
  version: string | null;
  plan: KtapPlan | null;
  cases: KtapCase[];
  /** Diagnostics with no result after them at this level. */
  trailing: Diagnostic[];
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

/**
 * Parse `lines` (indentation and "# " nesting prefix already removed) as one
 * block. `depth` 0 is the document; problems go to the shared list.
 */
export function parseKtapBlock(lines: SourceLine[], depth: number, problems: KtapProblem[]): KtapBlock {
  const block: KtapBlock = {
    version: null, plan: null, cases: [], trailing: [], subtestName: null, bailedOut: null,
    complete: true, firstLine: lines[0]?.line ?? 0, lastLine: lines[0]?.line ?? 0,
  };
  const problem = (line: number, message: string): void => { problems.push({ line, message }); };
  const seen = new Set<number>();
  let pending: Diagnostic[] = [];
  // The nested block waiting for its parent's result line. Held in an object
  // because closures replace it, which TypeScript's narrowing does not see.
  const held: { child: KtapBlock | null } = { child: null };
  let next: number | null = null;
  let planAfterResults = false;
  let beforeBail: Diagnostic[] = [];

  const addCase = (c: KtapCase, diags: Diagnostic[]): void => {
    for (const d of diags) collectMetrics(d.text, c.metrics);
    block.cases.push(c);
    seen.add(c.number);
    next = c.number + 1;
  };

  const nextNumber = (): number => next ?? block.plan?.start ?? 1;

  // A nested block whose parent result never came: report it as an error case
  // so its subtests (and whatever passed before the crash) are not lost.
  const flushOrphan = (orphan: KtapBlock, reason: string, before: Diagnostic[]): void => {
    problem(orphan.firstLine, 'subtests starting here have no result line');
    const diags = byLine([...before, ...orphan.trailing]);
    addCase({
      number: nextNumber(), name: orphan.subtestName ?? '', status: 'error', reason,
      diagnostics: diags.map((d) => d.text), metrics: {}, subtests: orphan.cases, line: orphan.firstLine,
    }, diags);
    block.complete = false;
  };

  const absorb = (group: SourceLine[]): void => {
    const nested = parseKtapBlock(group, depth + 1, problems);
    block.lastLine = Math.max(block.lastLine, nested.lastLine);
    const structural = nested.version !== null || nested.plan !== null || nested.cases.length > 0
      || nested.subtestName !== null || nested.bailedOut !== null;
    if (!structural) {
      // Only indented diagnostics: they belong to this level.
      pending = pending.concat(nested.trailing);
      return;
    }
    if (held.child) {
      flushOrphan(held.child, ORPHAN_REASON, pending);
      pending = [];
    }
    held.child = nested;
  };

  let i = 0;
  while (i < lines.length) {
    const src = lines[i];
    if (!src) break;
    if (src.text.trim() === '') { i++; continue; }

    if (indentOf(src.text) > 0) {
      const end = indentedGroupEnd(lines, i);
      const group = lines.slice(i, end).filter((l) => indentOf(l.text) > 0);
      i = end;
      const shaped = group.filter((l) => classifyKtapLine(l.text.trimStart()) !== null);
      if (shaped.length > 0 && depth >= MAX_DEPTH) problem(src.line, `nesting deeper than ${MAX_DEPTH} levels read as text`);
      if (shaped.length === 0 || depth >= MAX_DEPTH) {
        // Indented non-KTAP text: a test's continuation lines when nested
        // (kunit's "Expected ..."), a console stack trace at the top.
        if (depth > 0) pending = pending.concat(group.map((l) => ({ line: l.line, text: l.text.trim() })));
        continue;
      }
      // Lines indented less than the block's KTAP lines are not part of it:
      // on the console those are stack traces (" <TASK>") of a crash.
      const cut = shaped.reduce((min, l) => Math.min(min, indentOf(l.text)), Infinity);
      const dedented = group.filter((l) => indentOf(l.text) >= cut).map((l) => ({ line: l.line, text: l.text.slice(cut) }));
      for (const segment of splitAtHeaders(dedented)) absorb(segment);
      continue;
    }

    const parsed = classifyKtapLine(src.text);
    if (!parsed) {
      // Top level: console noise. Nested: the test program's own chatter.
      if (depth > 0) pending.push({ line: src.line, text: src.text.trim() });
      i++;
      continue;
    }
    block.lastLine = src.line;

    switch (parsed.kind) {
      case 'header':
        if (block.version === null && block.cases.length === 0 && block.plan === null) block.version = parsed.version;
        else problem(src.line, `unexpected "${parsed.version}" header ignored`);
        break;
      case 'plan':
        if (block.plan) {
          problem(src.line, `second plan ${parsed.start}..${parsed.end} ignored`);
        } else {
          block.plan = { start: parsed.start, end: parsed.end, ...(parsed.skip !== undefined ? { skip: parsed.skip } : {}) };
          planAfterResults = block.cases.length > 0;
        }
        break;
      case 'bail':
        if (block.bailedOut === null) {
          block.bailedOut = parsed.reason;
          // What ran up to the bail out explains it; what follows ("# Totals")
          // is the document's.
          beforeBail = pending;
          pending = [];
        }
        break;
      case 'diagnostic': {
        if (depth < MAX_DEPTH && classifyKtapLine(parsed.text)?.kind === 'header') {
          const end = hashGroupEnd(lines, i);
          absorb(lines.slice(i, end)
            .filter((l) => HASH_PREFIX.test(l.text))
            .map((l) => ({ line: l.line, text: l.text.replace(HASH_PREFIX, '') })));
          i = end;
          continue;
        }
        const subtest = depth > 0 && block.subtestName === null ? SUBTEST.exec(parsed.text) : null;
        if (subtest) block.subtestName = (subtest[1] ?? '').trim();
        else if (parsed.text.trim() !== '') pending.push({ line: src.line, text: parsed.text.trim() });
        break;
      }
      case 'result': {
        if (block.bailedOut !== null) {
          problem(src.line, 'result after "Bail out!" ignored');
          break;
        }
        if (planAfterResults) problem(src.line, 'result after the trailing plan');
        const expected = nextNumber();
        const number = parsed.number ?? expected;
        if (parsed.number === null) problem(src.line, `result has no test number; taken as ${number}`);
        else if (seen.has(number)) problem(src.line, `duplicate test number ${number}`);
        else if (number !== expected) problem(src.line, `test number ${number} out of order (expected ${expected})`);

        const parts = parseResultDescription(parsed.ok, parsed.description);
        const nested = held.child;
        held.child = null;
        const diags = byLine([...pending, ...(nested?.trailing ?? [])]);
        pending = [];
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
        if (nested && !nested.complete) block.complete = false;
        // The runner's "# TIMEOUT" says why the nested output stopped.
        if (nested && c.status === 'timeout') markTimedOut(nested.cases);
        if (nested && nested.bailedOut !== null) {
          problem(nested.lastLine, `subtests of case ${number} bailed out: ${nested.bailedOut || '(no reason)'}`);
        }
        addCase(c, diags);
        break;
      }
    }
    i++;
  }

  // After a bail out, only what came before it explains the missing cases.
  const bailed = block.bailedOut !== null;
  let explaining = bailed ? beforeBail : pending;
  if (held.child) {
    flushOrphan(held.child, bailed ? BAILED_REASON : MISSING_REASON, explaining);
    explaining = [];
  }
  const unclaimed = fillMissing(block, seen, explaining, problem);
  block.trailing = byLine(bailed ? [...unclaimed, ...pending] : unclaimed);
  if (bailed) block.complete = false;
  return block;
}

// Add planned-but-absent numbers as error cases. Diagnostics that were still
// waiting for a result (e.g. "# running shmem ...") go to the first of them,
// as they are the best hint of where the test died; returns them if unclaimed.
function fillMissing(block: KtapBlock, seen: Set<number>, waiting: Diagnostic[],
  problem: (line: number, message: string) => void): Diagnostic[] {
  const plan = block.plan;
  if (!plan) return waiting;
  for (const c of block.cases) {
    if (c.number < plan.start || c.number > plan.end) {
      problem(c.line, `test number ${c.number} is outside the plan ${plan.start}..${plan.end}`);
    }
  }
  const missing: number[] = [];
  for (let n = plan.start; n <= plan.end && missing.length <= MAX_FILLED; n++) if (!seen.has(n)) missing.push(n);
  if (missing.length === 0) return waiting;
  block.complete = false;
  if (missing.length > MAX_FILLED) {
    problem(block.lastLine, `plan ${plan.start}..${plan.end} is missing more than ${MAX_FILLED} results; not listing them`);
    return waiting;
  }
  problem(block.lastLine, `plan ${plan.start}..${plan.end} but ${missing.length} result(s) missing: ${ranges(missing)}`);
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

// "# " (or a bare "#") that run_kselftest.sh puts before each line of a test.
const HASH_PREFIX = /^#(?: |$)/;

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

/** End (exclusive) of an indented run starting at `start`; unindented noise inside does not end it. */
function indentedGroupEnd(lines: SourceLine[], start: number): number {
  let end = start + 1;
  for (let j = start + 1; j < lines.length; j++) {
    const text = lines[j]?.text ?? '';
    if (indentOf(text) > 0) { end = j + 1; continue; }
    if (text.trim() === '' || classifyKtapLine(text) === null) continue;
    break;
  }
  return end;
}

/** End (exclusive) of a "# "-prefixed run starting at its "# TAP version" line. */
function hashGroupEnd(lines: SourceLine[], start: number): number {
  let end = start + 1;
  for (let j = start + 1; j < lines.length; j++) {
    const text = lines[j]?.text ?? '';
    if (HASH_PREFIX.test(text)) { end = j + 1; continue; }
    if (text.trim() === '' || (indentOf(text) === 0 && classifyKtapLine(text) === null)) continue;
    break;
  }
  return end;
}

function markTimedOut(cases: KtapCase[]): void {
  for (const c of cases) {
    if (c.reason === MISSING_REASON) c.reason = TIMEOUT_REASON;
    if (c.subtests) markTimedOut(c.subtests);
  }
}

function byLine(diags: Diagnostic[]): Diagnostic[] {
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
