// bisect.json, the canonical record of a bisection: what was asked, every
// step with its evidence, and the answer. bisect.md is a pure renderer over
// it (markdown.ts); a rerun of the same request resumes from its steps.
import type { CellState, CaseOutcome, ErrorRecord } from '../results/types.ts';

export const BISECT_SCHEMA = 1;

/** How a step's outcome is told to git: the old or the new state of the range, or untestable. */
export type StepTerm = 'old' | 'new' | 'skip';

/** The two states, named as git names them: good/bad, or broken/fixed with --fixed. */
export interface BisectTerms {
  /** The state of the older end: "good" (the case passes) or "broken" (with --fixed: it fails). */
  old: string;
  /** The state the bisection looks for the first commit of: "bad", or "fixed". */
  new: string;
  /** The case outcome that means `new`: 'fail' when hunting a regression, 'pass' with --fixed. */
  newOutcome: 'pass' | 'fail';
}

export function termsFor(fixed: boolean): BisectTerms {
  return fixed ? { old: 'broken', new: 'fixed', newOutcome: 'pass' } : { old: 'good', new: 'bad', newOutcome: 'fail' };
}

/** What a bisection is about; a rerun with an equal request resumes the unfinished run. */
export interface BisectRequestRecord {
  mode: 'commits' | 'versions';
  caseId: string;
  suite: string;
  arch: string;
  variant: string;
  fixed: boolean;
  config: { file: string; sha256: string };
  /** commits: the git source (URL or absolute path). */
  source?: string;
  /** commits: the ends as given and as resolved. */
  good?: { ref: string; commit: string };
  bad?: { ref: string; commit: string };
  /** versions: the kernel ids of the config, oldest first. */
  kernels?: string[];
}

/** Why a step's outcome is what it is: enough to re-derive it from the step's own records. */
export interface StepEvidence {
  cellState: CellState;
  /** The case's own outcome in the suite's output, or null when the suite never reported it. */
  caseOutcome: CaseOutcome | null;
  reason: string;
  error: ErrorRecord | null;
  /** The program's output, the console and build logs, relative to the run dir. */
  logs: { dir: string; build?: string; console?: string; output?: string };
}

export interface BisectStep {
  n: number;
  /** commits: the commit; versions: the kernel id. */
  commit: string;
  subject: string;
  /** versions: the kernel's version. */
  version?: string;
  term: StepTerm;
  /** The word told to git (good/bad/broken/fixed/skip). */
  said: string;
  evidence: StepEvidence;
  attempts: number;
  build: { key: string; cached: boolean; durationMs: number; compiledObjects: number } | null;
  /** Stage durations of the (last) attempt: source, patch, config, build, image, selftest-build, boot, run. */
  stageMs: Record<string, number>;
  durationMs: number;
  /** git's estimate after this step (commits mode). */
  left?: { revisions: number; steps: number };
  at: string;
}

export type BisectAnswer =
  | { status: 'running' }
  /** versions: `commit` is the kernel id, `version` its version, `change` the terms before and from it. */
  | { status: 'found'; commit: string; subject: string; version?: string; change?: { from: string; to: string } }
  /** Skipped commits hide the answer: it is one of `candidates`. */
  | { status: 'ambiguous'; candidates: { commit: string; subject: string }[] }
  /** versions: the first and last versions gave the same answer. */
  | { status: 'no-change'; outcome: string }
  /** Stopped: the infrastructure kept failing, or the ends are not a bisectable range. */
  | { status: 'aborted'; reason: string; code: string };

export interface BisectRecord {
  schema: number;
  runId: string;
  request: BisectRequestRecord;
  terms: BisectTerms;
  /** commits: candidates between the ends (the new end included) and ceil(log2 N); versions: the kernels. */
  range: { candidates: number; expectedSteps: number };
  steps: BisectStep[];
  answer: BisectAnswer;
  startedAt: string;
  finishedAt: string | null;
  /** Mean wall time of a step (checkout, build, boot, suite), ms. */
  meanStepMs: number | null;
}

/** Exit code of a bisection: 0 an answer, 1 no single answer, 2 not bisectable as asked, 69 the infrastructure failed. */
export function bisectExitCode(answer: BisectAnswer): number {
  switch (answer.status) {
    case 'found': return 0;
    case 'ambiguous': case 'no-change': case 'running': return 1;
    case 'aborted': return answer.code === 'BISECT_NOT_ANCESTORS' ? 2 : 69;
  }
}
