// KTAP v1 / TAP 13 as kselftests and kunit print it, read from an SSH capture
// or from the serial console (printk timestamps, interleaved kernel messages).
// Never throws: anything malformed becomes a problem with its line number, and
// results a crash swallowed become 'error' cases, so a base/patched comparison
// sees "case 7 did not run" rather than "case 7 does not exist".
import { parseKtapBlock } from './ktap-block.ts';
import { classifyKtapLine } from './ktap-line.ts';
import type { KtapDocument, KtapProblem, KtapSummary } from './ktap-types.ts';
import { splitLines, stripPrintkPrefix } from './lines.ts';

export type {
  KtapCase, KtapDiagnostic, KtapDocument, KtapPlan, KtapProblem, KtapStatus, KtapSummary,
} from './ktap-types.ts';

export function parseKtap(text: string): KtapDocument {
  const lines = splitLines(text).map((raw, i) => ({ line: i + 1, text: stripPrintkPrefix(raw) }));
  if (lines.every((l) => l.text.trim() === '')) {
    return {
      version: null, preamble: 0, plan: null, cases: [], bailedOut: null,
      problems: [{ line: 0, message: 'empty output' }], diagnostics: [], complete: false,
    };
  }
  // The header must be unindented: an indented one opens a nested block.
  const headerAt = lines.findIndex((l) => classifyKtapLine(l.text)?.kind === 'header');
  const problems: KtapProblem[] = [];
  const block = parseKtapBlock(headerAt >= 0 ? lines.slice(headerAt) : lines, 0, problems);
  if (block.version === null) problems.push({ line: 0, message: 'no "KTAP version 1" or "TAP version 13" header' });
  if (block.plan === null) problems.push({ line: 0, message: 'no plan ("1..N") line' });
  problems.sort((a, b) => a.line - b.line);
  return {
    version: block.version,
    preamble: Math.max(headerAt, 0),
    plan: block.plan,
    cases: block.cases,
    bailedOut: block.bailedOut,
    problems,
    diagnostics: block.trailing,
    complete: block.complete && block.version !== null && block.plan !== null,
  };
}

/**
 * Counts over the top-level cases, folded to four outcomes: an expected
 * failure passes, a timeout fails, TODO counts as skipped.
 */
export function summarizeKtap(doc: KtapDocument): KtapSummary {
  const s: KtapSummary = { pass: 0, fail: 0, skip: 0, error: 0, total: doc.cases.length };
  for (const c of doc.cases) {
    switch (c.status) {
      case 'pass': case 'xfail': s.pass++; break;
      case 'fail': case 'timeout': s.fail++; break;
      case 'skip': case 'todo': s.skip++; break;
      case 'error': s.error++; break;
    }
  }
  return s;
}
