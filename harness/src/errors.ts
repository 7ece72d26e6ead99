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
    // "in cli" says nothing: the CLI is where every error ends up.
    const where = this.stage && this.stage !== 'cli' ? ` in ${this.stage}` : '';
    const lines = [`${this.kind === 'user' ? 'error' : 'infrastructure error'} [${this.code}]${where}: ${this.message}`];
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

/** Node's errors from the file system and friends: `ENOENT`, `EIO`... */
export function systemErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let c = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; c !== undefined && depth < 5; depth++) {
    out.push(`  caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`);
    c = c instanceof Error ? c.cause : undefined;
  }
  return out;
}

/**
 * What the terminal shows for an error. Stack traces only with `debug`:
 * a user or infrastructure error is explained by its message and hint.
 */
export function describeError(err: unknown, opts: { debug?: boolean } = {}): string {
  const debug = opts.debug ?? false;
  if (err instanceof KvmatrixError) {
    return [err.describe(), ...(debug ? [`  stack: ${err.stack ?? ''}`, ...causeChain(err)] : [])].join('\n');
  }
  const message = err instanceof Error ? err.message : String(err);
  const sys = systemErrorCode(err);
  const head = sys ? `infrastructure error [${sys}]: ${message}` : `internal error: ${message}`;
  const detail = debug && err instanceof Error ? [`  stack: ${err.stack ?? ''}`, ...causeChain(err)] : ['  fix: rerun with --debug for the stack trace, and report it if the message does not explain it'];
  return [head, ...detail].join('\n');
}
