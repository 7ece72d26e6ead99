// The one module that spawns processes. Every child runs in its own process
// group (detached) so a timeout, an error or Ctrl-C can end it *and* whatever
// it started (make's compilers, qemu's helpers) with one kill(-pgid).
// No execa `cleanup`: execa skips it for a detached child, so it would do
// nothing; liveGroups (process-groups.ts) kills every group left at exit.
import { execa, type ResultPromise } from 'execa';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { liveGroups } from './process-groups.ts';
import { shellQuote } from '../util/shell-quote.ts';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Append the command line and all output here. */
  logPath?: string;
  /** Every command is bounded: DEFAULT_TIMEOUT_MS unless the caller knows better. */
  timeoutMs?: number;
  input?: string | Buffer;
  /** Called with output chunks as they arrive (progress display), and which stream they came on. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Keep stdout in memory (default true). Off for builds with megabytes of output. */
  captureStdout?: boolean;
}

/** One shape for success and failure: a non-zero exit is data, not an exception. */
export interface RunResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The bound for a command whose caller gave none (long builds pass their own). */
export const DEFAULT_TIMEOUT_MS = 30 * 60_000;

/** POSIX-shell escaping for logs only: we never run shell strings. */
export function escapeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(shellQuote).join(' ');
}

function log(logPath: string | undefined, text: string): void {
  if (!logPath) return;
  mkdirSync(dirname(logPath), { recursive: true });
  appendFileSync(logPath, text);
}

export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = escapeCommand(file, args);
  const started = Date.now();
  log(opts.logPath, `\n$ ${command}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`);
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    reject: false,
    detached: true,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    stripFinalNewline: false,
    buffer: { stdout: opts.captureStdout !== false, stderr: true },
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  const group = child.pid;
  if (group !== undefined) liveGroups.add(group);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (group !== undefined) liveGroups.kill(group);
  }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer | string) => {
    const text = chunk.toString();
    log(opts.logPath, text);
    opts.onOutput?.(text, stream);
  };
  child.stdout?.on('data', forward('stdout'));
  child.stderr?.on('data', forward('stderr'));
  try {
    const result = await child;
    return {
      command,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    if (group !== undefined) liveGroups.reap(group);
    log(opts.logPath, `[${timedOut ? 'timed out' : 'exited'} after ${Date.now() - started} ms]\n`);
  }
}

/** A long-lived child (qemu). The caller owns it and must call stop() in a finally. */
export interface Spawned {
  pid: number;
  command: string;
  exited: Promise<RunResult>;
  stop(graceMs?: number): Promise<RunResult>;
  isRunning(): boolean;
}

export function spawnLongLived(file: string, args: readonly string[], opts: RunOptions = {}): Spawned {
  const command = escapeCommand(file, args);
  const started = Date.now();
  log(opts.logPath, `$ ${command}\n`);
  const child: ResultPromise = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    reject: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    encoding: 'utf8',
  });
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  const pid = child.pid;
  liveGroups.add(pid);
  let running = true;
  const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer | string) => {
    const text = chunk.toString();
    log(opts.logPath, text);
    opts.onOutput?.(text, stream);
  };
  child.stdout?.on('data', forward('stdout'));
  child.stderr?.on('data', forward('stderr'));
  const exited: Promise<RunResult> = child.then((r) => {
    running = false;
    liveGroups.reap(pid);
    return {
      command,
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut: false,
      stdout: '',
      stderr: '',
      durationMs: Date.now() - started,
    };
  });
  return {
    pid,
    command,
    exited,
    isRunning: () => running,
    async stop(graceMs = 2000) {
      if (running) {
        liveGroups.kill(pid, 'SIGTERM');
        const t = setTimeout(() => liveGroups.kill(pid, 'SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(t);
        }
      }
      return exited;
    },
  };
}
