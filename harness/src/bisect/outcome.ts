// What one bisection step says about the range: the case passed or failed
// (old or new, by the terms), or the step cannot tell (skip). Pure, over the
// step's cell record, the same record a matrix cell keeps.
//
// Only the case's own pass or fail is an answer. A build failure, a patch that
// does not apply at this commit, an infrastructure error, a kernel that
// crashed or hung before the case reported, a suite that did not build, a
// skipped or missing case: all of these are `skip`, never a guess.
import type { CellResult } from '../results/types.ts';
import type { BisectTerms, StepEvidence, StepTerm } from './record.ts';

export interface StepOutcome {
  term: StepTerm;
  evidence: Omit<StepEvidence, 'logs'>;
}

const STATE_REASON: Partial<Record<CellResult['state'], string>> = {
  'build-failed': 'the kernel does not build at this commit',
  'patch-failed': "the variant's patches do not apply at this commit",
  'boot-failed': 'the kernel panicked or hung before sshd answered',
  crashed: 'the kernel crashed before the case reported',
  timeout: 'the suite hung past its timeout',
  'infra-error': 'the harness or host failed (after its retry)',
};

export function stepOutcome(cell: CellResult, caseId: string, terms: BisectTerms): StepOutcome {
  const base = { cellState: cell.state, error: cell.error };
  const found = cell.suites.flatMap((s) => s.cases).find((c) => c.id === caseId);
  if (cell.state !== 'ok' && (!found || (found.outcome !== 'pass' && found.outcome !== 'fail'))) {
    const why = STATE_REASON[cell.state] ?? cell.state;
    return { term: 'skip', evidence: { ...base, caseOutcome: found?.outcome ?? null, reason: `${why}${cell.error ? ` [${cell.error.code}]` : ''}` } };
  }
  if (!found) {
    const notBuilt = cell.programs?.find((p) => caseId.startsWith(`${p.label}/`) && p.status !== 'ready');
    const reason = notBuilt ? `${notBuilt.label} ${notBuilt.status}${notBuilt.error ? `: [${notBuilt.error.code}] ${notBuilt.error.message.split('\n')[0]}` : ''}` : `${caseId} was not reported`;
    return { term: 'skip', evidence: { ...base, caseOutcome: null, reason } };
  }
  const because = found.reason ? `: ${found.reason}` : '';
  if (found.outcome === 'pass' || found.outcome === 'fail') {
    const term: StepTerm = found.outcome === terms.newOutcome ? 'new' : 'old';
    // A pass or fail after the suite was cut short (timeout while the guest lived on) is still the case's own result.
    return { term, evidence: { ...base, caseOutcome: found.outcome, reason: `${found.outcome}${because}` } };
  }
  return { term: 'skip', evidence: { ...base, caseOutcome: found.outcome, reason: `the case ${found.outcome === 'skip' ? 'skipped' : `ended as ${found.outcome}`}${because}` } };
}

/** The word for git: the term's name, or "skip". */
export function termWord(term: StepTerm, terms: BisectTerms): string {
  return term === 'skip' ? 'skip' : terms[term];
}
