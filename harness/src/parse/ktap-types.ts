// What the KTAP parser gives back. The types live apart from the parser so
// that ktap.ts (the entry point), ktap-block.ts (one level of nesting) and
// ktap-line.ts (one line) all read them from below instead of from each other.

export type KtapStatus = 'pass' | 'fail' | 'skip' | 'todo' | 'xfail' | 'timeout' | 'error';

export interface KtapCase {
  number: number;
  name: string;
  status: KtapStatus;
  /** Upper-case keyword after " # ": SKIP, TODO, XFAIL, XPASS, TIMEOUT, ERROR, or EXIT for the runner's "# exit=N". */
  directive?: string;
  /** Text after the directive (for EXIT: "exit=N"), or why an 'error' case is missing. */
  reason?: string;
  /** "# " lines printed before this result (and a nested block's trailing ones). */
  diagnostics: string[];
  /** key=value tokens of `diagnostics`; numeric values as numbers. */
  metrics: Record<string, number | string>;
  subtests?: KtapCase[];
  /** 1-based line of the result; for a missing case, the last KTAP line seen. */
  line: number;
}

export interface KtapPlan {
  start: number;
  end: number;
  /** "1..0 # SKIP why": the whole program skipped, and why. */
  skip?: string;
}

export interface KtapProblem {
  /** 1-based; 0 when the problem is about the document as a whole. */
  line: number;
  message: string;
}

/** A diagnostic ("# text") with the 1-based line it was printed on. */
export interface KtapDiagnostic {
  line: number;
  text: string;
}

export interface KtapDocument {
  /** The header as printed, e.g. "KTAP version 1" or "TAP version 13". */
  version: string | null;
  /** Lines before the header (shell prompts, build chatter, boot log). */
  preamble: number;
  plan: KtapPlan | null;
  cases: KtapCase[];
  /** The reason after "Bail out!" ('' when none was given). */
  bailedOut: string | null;
  problems: KtapProblem[];
  /** Top-level diagnostics that no result followed (e.g. "# Totals: ..."). */
  diagnostics: KtapDiagnostic[];
  /** Header and plan seen, every planned result present, no bail out, all subtests complete. */
  complete: boolean;
}

export interface KtapSummary { pass: number; fail: number; skip: number; error: number; total: number }
