// A stage is `async (ctx, request) => StageResult<Output>` (KUnit's kunit.py
// shape): status, elapsed time, log path and a typed error; the pipeline stops
// at the first failure.
import { InfraError, KvmatrixError, type StageName } from './errors.ts';
import type { Reporter } from './progress.ts';

export interface Ctx {
  cacheDir: string;
  report: Reporter;
  /** Label for progress lines, e.g. "6.1/x86_64/base". */
  cell?: string;
  /** Aborted on Ctrl-C; long waits listen to it. */
  signal?: AbortSignal;
}

export interface StageResult<T> {
  stage: StageName;
  status: 'ok' | 'failed';
  durationMs: number;
  logPath?: string;
  output?: T;
  error?: KvmatrixError;
}

export async function runStage<T>(
  ctx: Ctx,
  stage: StageName,
  detail: string | undefined,
  fn: () => Promise<T>,
  logPath?: string,
): Promise<StageResult<T>> {
  const started = Date.now();
  ctx.report({ kind: 'stage-start', cell: ctx.cell, stage, detail });
  try {
    const output = await fn();
    const durationMs = Date.now() - started;
    ctx.report({ kind: 'stage-end', cell: ctx.cell, stage, ok: true, durationMs });
    return { stage, status: 'ok', durationMs, logPath, output };
  } catch (err) {
    const durationMs = Date.now() - started;
    const error = err instanceof KvmatrixError
      ? err
      : new InfraError('INTERNAL', `${stage} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, { stage, cause: err, logPath });
    ctx.report({ kind: 'stage-end', cell: ctx.cell, stage, ok: false, durationMs, detail: `[${error.code}] ${error.message.split('\n')[0]}` });
    return { stage, status: 'failed', durationMs, logPath, error };
  }
}

/** Unwrap a stage result or rethrow its error (for linear pipelines). */
export function must<T>(r: StageResult<T>): T {
  if (r.status !== 'ok' || r.output === undefined) throw r.error ?? new InfraError('INTERNAL', `${r.stage} produced no output`);
  return r.output;
}
