// Two roots, as in TuxMake: the user can fix a UserError by changing input;
// an InfraError means the machine, a tool or the guest let us down.
// Codes are stable strings so CI and tests can match on them.

export type StageName =
  | 'provision' | 'source' | 'patch' | 'config' | 'build' | 'image'
  | 'selftest-build' | 'boot' | 'run' | 'parse' | 'compare' | 'report' | 'cli';

export interface ErrorDetails {
  stage?: StageName;
  cause?: unknown;
  /** Last lines of the stage log, so the message is actionable without opening files. */
  logTail?: string;
  logPath?: string;
  /** What the user should do next. */
  hint?: string;
}

export abstract class KvmatrixError extends Error {
  abstract readonly kind: 'user' | 'infra';
  readonly code: string;
  readonly stage?: StageName;
  readonly logTail?: string;
  readonly logPath?: string;
  readonly hint?: string;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.stage = details.stage;
    this.logTail = details.logTail;
    this.logPath = details.logPath;
    this.hint = details.hint;
  }

  /** Multi-line rendering for the terminal. */
  describe(): string {
    const lines = [`${this.kind === 'user' ? 'error' : 'infrastructure error'} [${this.code}]${this.stage ? ` in ${this.stage}` : ''}: ${this.message}`];
    if (this.hint) lines.push(`  fix: ${this.hint}`);
    if (this.logPath) lines.push(`  log: ${this.logPath}`);
    if (this.logTail) lines.push('  --- last lines ---', ...this.logTail.split('\n').map((l) => `  | ${l}`));
    return lines.join('\n');
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, code: this.code, stage: this.stage, message: this.message, hint: this.hint, logPath: this.logPath };
  }
}

export class UserError extends KvmatrixError {
  readonly kind = 'user' as const;
}

export class InfraError extends KvmatrixError {
  readonly kind = 'infra' as const;
}

export const EXIT = { validated: 0, failed: 1, usage: 2, infra: 69 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof UserError) return EXIT.usage;
  return EXIT.infra;
}

export function describeError(err: unknown): string {
  if (err instanceof KvmatrixError) return err.describe();
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return `internal error: ${String(err)}`;
}
