// The canonical record of a run (results.json). Markdown, HTML and JUnit are
// pure renderers over it; `kvmatrix report RUN_DIR` re-derives everything
// from these files offline. Bump RESULTS_SCHEMA on incompatible changes.
import type { KtapDocument } from '../parse/ktap.ts';
import type { ConsoleFinding } from '../parse/console.ts';

export const RESULTS_SCHEMA = 2;

export type CellState =
  | 'ok'              // booted, every suite ran to completion (test failures are still 'ok' here)
  | 'patch-failed'    // the variant's patches do not apply
  | 'already-present' // every patch of the variant is already in this kernel: nothing to build, base's results are the answer
  | 'build-failed'    // config or compile failed
  | 'boot-failed'     // the kernel panicked or hung before its sshd answered: a result about the kernel
  | 'timeout'         // a suite exceeded its timeout (the kernel hung it): a result about the kernel
  | 'crashed'         // the guest kernel panicked while a suite ran: a result about the kernel
  | 'infra-error';    // the harness or host failed: qemu died without a panic, SSH lost with a healthy console, tool missing, download failed

/** Cell states that are answers about the kernel under test (its own failure), not accidents of the infrastructure. */
export const KERNEL_FAILURE_STATES: ReadonlySet<CellState> = new Set(['boot-failed', 'timeout', 'crashed']);
/** Cell states in which the variant's kernel never existed: no per-case outcomes. */
export const NOT_BUILT_STATES: ReadonlySet<CellState> = new Set(['patch-failed', 'already-present', 'build-failed']);

/** What the patch stage made of a variant's series (and of each message in it). */
export type PatchState = 'applied' | 'applied-with-offset' | 'applied-after-repair' | 'already-present' | 'does-not-apply';

export interface PatchRecord {
  /** The series' state: does-not-apply, else after-repair, else with-offset, else applied; already-present when every message is. */
  state: PatchState;
  messages: {
    /** The patch file, relative to the config's directory; the message's 1-based index in it. */
    file: string;
    index: number;
    subject: string | null;
    state: PatchState;
    /** Offsets, where repaired hunks were found, where the change already is, why it does not apply. */
    notes: string[];
    /** The repaired diff that was applied, relative to the cell dir. */
    repaired?: string;
  }[];
  /** Evidence files relative to the cell dir: patch-report.txt, the repaired diffs. */
  evidence: string[];
}

export interface ErrorRecord {
  kind: 'user' | 'infra';
  code: string;
  stage?: string;
  message: string;
  hint?: string;
  logTail?: string;
}

export interface StageRecord {
  stage: string;
  status: 'ok' | 'failed';
  durationMs: number;
  log?: string;
}

export interface SuiteRun {
  /** The program's label, also the prefix of its case ids ("softdirty-uffdwp", "kselftest-mm/soft-dirty"). */
  suite: string;
  exitCode: number | null;
  /** Signal that ended the program (from SSH, or exit status 128+N of the guest shell). */
  signal?: string | null;
  timedOut: boolean;
  disconnected: boolean;
  durationMs: number;
  /** Relative to the cell dir. */
  outputLog: string;
  ktap: KtapDocument | null;
  /** Per-case outcome used by the comparison (KTAP cases, or one synthetic case from the exit code). */
  cases: CaseResult[];
}

/**
 * 'error': the case started or was planned but produced no result of its own
 * (the kernel crashed, the program timed out); 'infra-error': the harness
 * could not produce it (a suite that failed to build for a host reason).
 */
/** One program a cell planned to run in the guest. */
export interface ProgramStatus {
  /** The suite label, e.g. "softdirty-uffdwp" or "kselftest-mm/soft-dirty". */
  label: string;
  /**
   * 'ready': built and handed to the run; 'skipped': does not apply here (its
   * skip case says why); 'not-built': its suite failed to build (the error
   * says whose fault: a compile error is the tree's, a missing tool the host's).
   */
  status: 'ready' | 'skipped' | 'not-built';
  error?: ErrorRecord;
}

export type CaseOutcome = 'pass' | 'fail' | 'skip' | 'error' | 'infra-error';

export interface CaseResult {
  /** "suite/case", the matrix row key. */
  id: string;
  outcome: CaseOutcome;
  reason?: string;
  metrics: Record<string, number | string>;
  diagnostics: string[];
}

export interface CellResult {
  schema: number;
  id: string;
  kernel: { id: string; identity: string | null; version: string | null; release: string | null };
  arch: string;
  variant: { name: string; patches: { path: string; sha256: string; subjects: (string | null)[] }[] };
  /** 1-based repeat index (with --repeat N). */
  repeat: number;
  accel: string | null;
  accelReason: string | null;
  qemuVersion: string | null;
  state: CellState;
  error: ErrorRecord | null;
  /** The patch stage's states and evidence, for a variant with patches (absent in older records). */
  patch?: PatchRecord;
  stages: StageRecord[];
  build: { key: string; cached: boolean; durationMs: number; incremental: boolean; compiledObjects: number; configSha256: string } | null;
  boot: { toSshdMs: number; toSshMs: number } | null;
  suites: SuiteRun[];
  /**
   * Every program the cell planned to run (suite labels after the selftest
   * build), so the comparison can tell "never produced a result" from "does
   * not apply here". Null when the cell failed before its suites were known.
   */
  programs: ProgramStatus[] | null;
  console: { log: string | null; findings: ConsoleFinding[] };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/**
 * The closed set of verdicts for one (case, kernel/arch) cell of the matrix.
 * README "Verdict rules" is their contract; compare/verdict.ts enforces it.
 */
export type Verdict =
  | 'fixed'          // fails on base, passes on the variant
  | 'regressed'      // base fine (pass or skip), the variant fails, crashes or shows new console findings
  | 'still-failing'  // fails on base and on the variant
  | 'lost'           // base ran it (pass or fail), the variant skips it or no longer reports it
  | 'pass'
  | 'skip'
  | 'fail'           // fails where there is no variant to compare with
  | 'crashed'        // the base kernel crashed, hung or panicked before giving a result
  | 'flaky'          // --repeat runs disagree
  | 'infra-error'    // the harness or host failed to produce the result
  | 'missing';       // planned, never produced: the run is incomplete

/** What one variant gave for one case in one column (repeats combined). */
export type VariantOutcome =
  | 'pass' | 'fail' | 'skip'
  | 'crashed'      // the kernel crashed, hung or timed out before this case's result
  | 'absent'       // the program ran to its end without reporting this case
  | 'not-built'    // the variant's patches did not apply or it did not build
  | 'n/a'          // the program is not planned here (catalog: other arch or version)
  | 'infra-error'
  | 'flaky'
  | 'missing';

export interface MatrixRow {
  caseId: string;
  /** The program (suite label) whose output holds the case; "console" for the console-findings row. */
  program: string;
  /** Keyed by column id "kernel/arch". */
  cells: Record<string, {
    verdict: Verdict;
    /** Outcome per variant name. */
    outcomes: Record<string, VariantOutcome>;
    reason?: string;
    expected?: { outcome: string; met: boolean; note?: string }[];
    /** A failing verdict that the config's expectations fully account for (it does not block validation). */
    explained?: boolean;
    metrics?: Record<string, Record<string, number | string>>;
  }>;
}

export interface RunSummary {
  schema: number;
  harnessVersion: string;
  runId: string;
  config: { file: string; name: string; sha256: string };
  host: { arch: string; cpus: number; memoryGb: number; qemu: Record<string, string> };
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  shard: { index: number; count: number } | null;
  /** The --kernel/--arch/--variant selection the plan was made with (merge rebuilds the unsharded plan from it). */
  filter: { kernels?: string[]; arches?: string[]; variants?: string[] };
  /** Every cell this run had to produce; results missing from `cells` make it INCOMPLETE. */
  plan: PlannedCell[];
  cells: CellResult[];
  matrix: MatrixTable;
  overall: OverallVerdict;
}

export interface OverallVerdict {
  verdict: 'validated' | 'not-validated' | 'infra-error';
  exitCode: number;
  line: string;
  unexpected: string[];
  /** Each thing that kept the run from VALIDATED, one line each. */
  blockers: string[];
}

export interface PlannedCell {
  id: string;
  kernel: string;
  arch: string;
  variant: string;
  repeat: number;
}

export interface ColumnStatus {
  variant: string;
  /** 'missing': planned, no result in the run. */
  state: CellState | 'missing';
  message?: string;
  /** The state was what a cell-state expectation asked for (e.g. the as-posted email: patch-failed). */
  expected?: boolean;
}

export interface MatrixColumn {
  /** "kernel/arch" */
  id: string;
  kernel: string;
  arch: string;
  version: string | null;
  variants: ColumnStatus[];
}

export interface MatrixTable {
  columns: MatrixColumn[];
  variants: string[];
  rows: MatrixRow[];
  unexpected: string[];
  /** Expectations that matched nothing (a typo in a case pattern, kernel, arch or variant). */
  warnings: string[];
  counts: Record<Verdict, number>;
}
