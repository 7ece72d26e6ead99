// Helpers for the CI workflow tests: schema validation with GitHub's own
// workflow parser (@actions/workflow-parser ships the workflow schema, works
// offline), a plain YAML view for structural assertions, and a small shell
// word splitter for the kvmatrix command lines in `run:` steps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { repoRoot } from '../../../src/util/paths.ts';

export const workflowsDir = join(repoRoot, '.github', 'workflows');

export function workflowFiles(): string[] {
  return readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(workflowsDir, f));
}

/** Every error GitHub's parser reports: schema, expressions and their allowed contexts, cron, job graph. */
export async function workflowErrors(file: string): Promise<string[]> {
  const content = readFileSync(file, 'utf8');
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value) return errors.length > 0 ? errors : [`${file}: the parser returned no workflow`];
  // Conversion adds what the schema alone cannot see (needs cycles, cron syntax, matrix shape).
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return [...new Set([...errors, ...(template.errors ?? []).map((e) => e.Message)])];
}

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string | number | boolean>;
  with?: Record<string, string | number | boolean>;
  'continue-on-error'?: boolean | string;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  'runs-on'?: string;
  'timeout-minutes'?: number;
  container?: string | { image: string; options?: string };
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  outputs?: Record<string, string>;
  env?: Record<string, string | number | boolean>;
  steps: Step[];
}

export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  env?: Record<string, string | number | boolean>;
  jobs: Record<string, Job>;
}

/** The workflow as plain data (YAML 1.2: `on` stays a string key). */
export function loadWorkflow(file: string): Workflow {
  return parse(readFileSync(file, 'utf8')) as Workflow;
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** The environment a step's script sees from the workflow file (workflow, job, then step env). */
export function stepEnv(wf: Workflow, job: Job, step: Step): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of [wf.env, job.env, step.env]) for (const [k, v] of Object.entries(e ?? {})) out[k] = String(v);
  return out;
}

/**
 * Split a shell command into words the way bash would for the simple forms
 * used in the workflows: whitespace, '...' and "..." quoting, backslash-newline
 * continuations. Stops at the first control operator, redirection or comment.
 * Quoted words keep a marker so a test can tell "$X" from $X.
 */
export function shellWords(line: string): { text: string; quoted: boolean }[] {
  const words: { text: string; quoted: boolean }[] = [];
  const src = line.replace(/\\\n/g, ' ');
  let i = 0;
  while (i < src.length) {
    while (i < src.length && /\s/.test(src[i] as string)) i++;
    if (i >= src.length) break;
    const rest = src.slice(i);
    if (/^(\|\||&&|[|;&<>#]|\d>)/.test(rest)) break;
    let text = '';
    let quoted = false;
    while (i < src.length && !/\s/.test(src[i] as string)) {
      const ch = src[i] as string;
      if (ch === "'" || ch === '"') {
        const end = src.indexOf(ch, i + 1);
        if (end < 0) throw new Error(`unterminated ${ch} in: ${line}`);
        text += src.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else if (/[|;&<>]/.test(ch)) {
        break;
      } else {
        text += ch;
        i++;
      }
    }
    words.push({ text, quoted });
  }
  return words;
}

export interface KvmatrixCall {
  /** The source line (continuations joined). */
  line: string;
  /** Words after harness/bin/kvmatrix.js. */
  args: { text: string; quoted: boolean }[];
}

/** Every `node harness/bin/kvmatrix.js ...` command in a run script. */
export function kvmatrixCalls(script: string): KvmatrixCall[] {
  const calls: KvmatrixCall[] = [];
  for (const line of script.replace(/\\\n/g, ' ').split('\n')) {
    const at = line.indexOf('harness/bin/kvmatrix.js');
    if (at < 0 || line.trimStart().startsWith('#')) continue;
    const words = shellWords(line.slice(at));
    calls.push({ line: line.trim(), args: words.slice(1) });
  }
  return calls;
}

/** `$NAME` and `${NAME}` references in a shell word. */
export function shellVars(word: string): string[] {
  return [...word.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1] as string);
}

/** The body of the first `<<'EOF'` here-document in a script. */
export function heredoc(script: string, tag = 'EOF'): string {
  const m = new RegExp(`<<'${tag}'\\n([\\s\\S]*?)\\n${tag}\\n?`).exec(script);
  if (!m) throw new Error(`no <<'${tag}' here-document`);
  return m[1] as string;
}
