// Turn one program's raw output into per-case results. Pure.
// - KTAP programs: one case per result line, named uniquely within the
//   program (a repeated name gets a stable " [2]", " [3]" suffix: only
//   --repeat makes repeats), plus a synthetic "<program>/exit" case that
//   holds the program's own exit status against what it reported: all-ok
//   followed by a segfault, "Bail out!", or a plan that was never finished
//   fail there. "1..0 # SKIP why" is one skipped case, "<program>", with
//   the reason.
// - Other programs: one "<program>/exit" case judged by the exit code
//   (kselftest convention: 0 pass, 4 skip, anything else fail).
// A program cut short (timed out, connection lost) gets no exit case: the
// comparison reads what became of it from how the cell ended.
import { constants } from 'node:os';
import { parseKtap, summarizeKtap, type KtapDocument, type KtapCase } from '../parse/ktap.ts';
import type { CaseResult, CaseOutcome } from '../results/types.ts';

export interface ProgramOutput {
  /** Suite label and case id prefix, e.g. "softdirty-uffdwp" or "kselftest-mm/soft-dirty". */
  label: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Signal reported by SSH (the shell itself killed). */
  signal?: string | null;
  timedOut: boolean;
  disconnected?: boolean;
}

export interface ProgramCases {
  ktap: KtapDocument | null;
  cases: CaseResult[];
  /** The signal that ended the program, from SSH or from the shell's 128+N exit status. */
  signal: string | null;
}

export const EXIT_CASE = 'exit';

function outcomeOf(c: KtapCase): CaseOutcome {
  switch (c.status) {
    case 'pass': case 'xfail': return 'pass';
    case 'skip': case 'todo': return 'skip';
    case 'fail': case 'timeout': return 'fail';
    default: return 'error';
  }
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** The shell in the guest reports a program killed by signal N as exit status 128+N. */
export function signalOf(exitCode: number | null, sshSignal?: string | null): string | null {
  if (sshSignal) return sshSignal.startsWith('SIG') ? sshSignal : `SIG${sshSignal}`;
  if (exitCode !== null && exitCode > 128 && exitCode < 128 + 65) return SIGNAL_NAMES.get(exitCode - 128) ?? `signal ${exitCode - 128}`;
  return null;
}

/** "name", "name [2]", "name [3]": unique within one program, stable across runs of the same output. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} [${k}]`;
  });
}

/** Does the exit status agree with what the KTAP output reported? */
function exitVerdict(doc: KtapDocument, exitCode: number | null, signal: string | null): { outcome: CaseOutcome; reason: string } {
  if (signal) return { outcome: 'fail', reason: `killed by ${signal}${exitCode !== null ? ` (exit ${exitCode})` : ''}` };
  if (doc.bailedOut !== null) return { outcome: 'fail', reason: `bailed out${doc.bailedOut ? `: ${doc.bailedOut}` : ''} (exit ${exitCode})` };
  const s = summarizeKtap(doc);
  const planned = doc.plan ? doc.plan.end - doc.plan.start + 1 : null;
  const reported = doc.cases.filter((c) => c.name !== '' || c.status !== 'error').length;
  if (planned !== null && planned > 0 && reported < planned) {
    return { outcome: 'fail', reason: `output ended after ${reported} of ${planned} planned results (exit ${exitCode})` };
  }
  if (doc.plan === null && doc.cases.length > 0) return { outcome: 'fail', reason: `no plan line (exit ${exitCode})` };
  switch (exitCode) {
    case 0: return { outcome: 'pass', reason: 'exit 0' };
    case 4: return { outcome: 'pass', reason: 'exit 4 (skip)' };
    case 1: return s.fail + s.error > 0
      ? { outcome: 'pass', reason: `exit 1, as ${s.fail + s.error} failing case(s) say` }
      : { outcome: 'fail', reason: 'exit 1, but no case failed' };
    default: return { outcome: 'fail', reason: `exit ${exitCode}` };
  }
}

export function casesFromOutput(p: ProgramOutput): ProgramCases {
  const signal = signalOf(p.exitCode, p.signal);
  const finished = !p.timedOut && !p.disconnected;
  const ktap = parseKtap(p.stdout);
  if (ktap.version !== null || ktap.cases.length > 0) {
    // Cases the output never reached have no name (the parser keys them by
    // number): they are not cases of their own; how the cell ended says what
    // became of them, and the exit case says the output was cut short.
    const named = ktap.cases.filter((c) => c.name !== '' || c.status !== 'error');
    const names = uniqueNames(named.map((c) => c.name || `#${c.number}`));
    const cases = named.map((c, i): CaseResult => ({
      id: `${p.label}/${names[i]}`,
      outcome: outcomeOf(c),
      reason: c.reason ?? c.directive,
      metrics: c.metrics,
      diagnostics: c.diagnostics,
    }));
    if (ktap.plan?.skip !== undefined && ktap.plan.end < ktap.plan.start && cases.length === 0) {
      cases.push({ id: p.label, outcome: 'skip', reason: ktap.plan.skip || 'skipped (no reason given)', metrics: {}, diagnostics: [] });
    }
    if (finished) {
      const e = exitVerdict(ktap, p.exitCode, signal);
      cases.push({ id: `${p.label}/${EXIT_CASE}`, outcome: e.outcome, reason: e.reason, metrics: {}, diagnostics: lastLines(p.stderr) });
    }
    return { ktap, cases, signal };
  }
  if (!finished) return { ktap: null, cases: [], signal };
  // A selftest that prints nothing proves nothing, whatever its exit code.
  const silent = p.stdout.trim() === '' && p.stderr.trim() === '';
  const outcome: CaseOutcome = signal || silent ? 'fail' : p.exitCode === 0 ? 'pass' : p.exitCode === 4 ? 'skip' : 'fail';
  // Programs without KTAP say why they failed on stderr: keep its last line as the reason.
  const lastErr = p.stderr.trim().split('\n').filter(Boolean).pop();
  const reason = signal ? `killed by ${signal}` : silent ? `printed nothing (exit ${p.exitCode})` : `exit ${p.exitCode}${p.exitCode !== 0 && lastErr ? `: ${lastErr.slice(0, 200)}` : ''}`;
  return { ktap: null, cases: [{ id: `${p.label}/${EXIT_CASE}`, outcome, reason, metrics: {}, diagnostics: lastLines(p.stderr) }], signal };
}

function lastLines(text: string, n = 5): string[] {
  return text.trim().split('\n').filter(Boolean).slice(-n);
}
