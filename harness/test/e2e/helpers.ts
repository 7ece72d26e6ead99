// Shared by the end-to-end and fault tests: one matrix run of
// configs/matrix.ci.yaml per `npm test`, whose builds every later test reuses.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, type RunResult } from '../../src/exec/run.ts';
import { repoRoot } from '../../src/util/paths.ts';
import type { RunSummary } from '../../src/results/types.ts';

export const CI_CONFIG = join(repoRoot, 'configs', 'matrix.ci.yaml');
export const CLI = join(repoRoot, 'harness', 'bin', 'kvmatrix.js');

/** Run the CLI as a user would, streaming its progress to our stderr. */
export function kvmatrix(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], {
    cwd: repoRoot,
    timeoutMs: opts.timeoutMs ?? 55 * 60_000,
    env: opts.env,
    onOutput: (s) => process.stderr.write(s),
  });
}

let shared: Promise<{ runDir: string; result: RunResult; summary: RunSummary }> | undefined;

/** The CI matrix, run once per test process. */
export function ciMatrixRun(): Promise<{ runDir: string; result: RunResult; summary: RunSummary }> {
  shared ??= (async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kvmatrix-e2e-'));
    const result = await kvmatrix(['matrix', '--config', CI_CONFIG, '--out', runDir]);
    const summary = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunSummary;
    return { runDir, result, summary };
  })();
  return shared;
}
