// The canonical record of a run (results.json). Markdown, HTML and JUnit are
// pure renderers over it; `kvmatrix report RUN_DIR` re-derives everything
// from these files offline. Bump RESULTS_SCHEMA on incompatible changes.
import type { KtapDocument } from '../parse/ktap.ts';
import type { ConsoleFinding } from '../parse/console.ts';

export const RESULTS_SCHEMA = 1;

export type CellState =
  | 'ok'              // booted, every suite ran to completion (test failures are still 'ok' here)
  | 'patch-failed'    // the variant's patches do not apply
  | 'build-failed'    // config or compile failed
  | 'boot-failed'     // panic, qemu exit or no SSH before the boot timeout
  | 'timeout'         // a suite exceeded its timeout
  | 'crashed'         // the guest kernel panicked while a suite ran: a result about the kernel, not the infrastructure
  | 'infra-error';    // SSH lost, tool missing, download failed...

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
  suite: string;
  exitCode: number | null;
  timedOut: boolean;
  disconnected: boolean;
  durationMs: number;
  /** Relative to the cell dir. */
  outputLog: string;
  ktap: KtapDocument | null;
  /** Per-case outcome used by the comparison (KTAP cases, or one synthetic case from the exit code). */
  cases: CaseResult[];
}

export type CaseOutcome = 'pass' | 'fail' | 'skip' | 'error';

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
  stages: StageRecord[];
  build: { key: string; cached: boolean; durationMs: number; incremental: boolean; compiledObjects: number; configSha256: string } | null;
  boot: { toSshdMs: number; toSshMs: number } | null;
  suites: SuiteRun[];
  console: { log: string | null; findings: ConsoleFinding[] };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export type Verdict = 'fixed' | 'regressed' | 'still-failing' | 'pass' | 'skip' | 'infra-error' | 'flaky' | 'fail';

export interface MatrixRow {
  caseId: string;
  /** Keyed by column id "kernel/arch". */
  cells: Record<string, {
    verdict: Verdict;
    /** Outcome per variant name. */
    outcomes: Record<string, CaseOutcome | 'infra-error' | 'flaky' | 'missing'>;
    reason?: string;
    expected?: { outcome: string; met: boolean; note?: string }[];
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
  cells: CellResult[];
  matrix: MatrixTable;
  overall: { verdict: 'validated' | 'not-validated' | 'infra-error'; exitCode: number; line: string; unexpected: string[] };
}

export interface ColumnStatus {
  variant: string;
  state: CellState;
  message?: string;
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
  counts: Record<Verdict, number>;
}
