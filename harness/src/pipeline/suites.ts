// Turn a suite's raw output into per-case results: KTAP when the program
// speaks it, otherwise one synthetic case judged by the exit code
// (kselftest convention: 0 pass, 4 skip, anything else fail).
import { parseKtap, type KtapDocument, type KtapCase } from '../parse/ktap.ts';
import type { CaseResult, CaseOutcome } from '../results/types.ts';

function outcomeOf(c: KtapCase): CaseOutcome {
  switch (c.status) {
    case 'pass': case 'xfail': return 'pass';
    case 'skip': case 'todo': return 'skip';
    case 'fail': return 'fail';
    default: return 'error';
  }
}

export function casesFromOutput(suite: string, stdout: string, exitCode: number | null, timedOut: boolean, stderr = ''): { ktap: KtapDocument | null; cases: CaseResult[] } {
  const ktap = parseKtap(stdout);
  if (ktap.version !== null || ktap.cases.length > 0) {
    const cases = ktap.cases.map((c): CaseResult => ({
      // A case the output never reached has no name: key it by number.
      id: `${suite}/${c.name || `#${c.number}`}`,
      outcome: timedOut && c.status === 'error' ? 'error' : outcomeOf(c),
      reason: c.reason ?? c.directive,
      metrics: c.metrics,
      diagnostics: c.diagnostics,
    }));
    return { ktap, cases };
  }
  // A selftest that prints nothing proves nothing, whatever its exit code.
  const silent = stdout.trim() === '' && stderr.trim() === '';
  const outcome: CaseOutcome = timedOut || silent ? 'error' : exitCode === 0 ? 'pass' : exitCode === 4 ? 'skip' : 'fail';
  // Programs without KTAP say why they failed on stderr: keep its last line as the reason.
  const lastErr = stderr.trim().split('\n').filter(Boolean).pop();
  const reason = timedOut ? 'timed out' : silent ? `printed nothing (exit ${exitCode})` : `exit ${exitCode}${exitCode !== 0 && lastErr ? `: ${lastErr.slice(0, 200)}` : ''}`;
  return { ktap: null, cases: [{ id: `${suite}/exit-code`, outcome, reason, metrics: {}, diagnostics: [] }] };
}
