// The top of the page: the banner with the overall verdict (header.eta) and
// what a reader must see before the matrix (attention.eta, callout.eta).
import type { RunSummary, Verdict } from '../../results/types.ts';
import { CELL_NOTICE_STATES, VERDICT_MEANING, VERDICT_ORDER, columnIdOf, describeProblem } from '../common.ts';
import { cellAnchor, type Ctx } from './context.ts';

export const OVERALL_WORD: Record<RunSummary['overall']['verdict'], string> = {
  validated: 'VALIDATED',
  'not-validated': 'NOT VALIDATED',
  'infra-error': 'INCOMPLETE',
};

export interface HeaderView {
  verdict: RunSummary['overall']['verdict'];
  word: string;
  line: string;
  chips: { verdict: Verdict; meaning: string; count: number }[];
  facts: { dlClass: string; facts: [string, string][] };
  harnessVersion: string;
}

export function headerView(run: RunSummary): HeaderView {
  const word = OVERALL_WORD[run.overall.verdict];
  const counts = run.matrix.counts;
  const qemu = Object.entries(run.host.qemu).map(([k, v]) => `${k} ${v}`).join(', ');
  const exit = `${run.overall.exitCode}${run.complete ? '' : ' (run incomplete)'}`;
  const facts: [string, string][] = [
    ['run', run.runId],
    ['config', `${run.config.name} (${run.config.file})`],
    ['host', `${run.host.arch}, ${run.host.cpus} CPUs, ${run.host.memoryGb} GB${qemu ? `; ${qemu}` : ''}`],
    ['started', `${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ' (not finished)'}`],
    ['exit code', `${exit}${run.shard ? `; shard ${run.shard.index}/${run.shard.count}` : ''}`],
  ];
  return {
    verdict: run.overall.verdict,
    word,
    line: lineAfterWord(run.overall.line, word),
    chips: VERDICT_ORDER.filter((v) => (counts[v] ?? 0) > 0).map((v) => ({ verdict: v, meaning: VERDICT_MEANING[v], count: counts[v] })),
    facts: { dlClass: 'facts', facts },
    harnessVersion: run.harnessVersion,
  };
}

/** The verdict line without the word the banner already shows in large type. */
function lineAfterWord(line: string, word: string): string {
  return line.toUpperCase().startsWith(`${word}:`) ? line.slice(word.length + 1).trim() : line;
}

/** A cell that did not get through its suites: where, what happened, how to fix it. */
export interface ProblemItem {
  anchor: string;
  where: string;
  problem: string;
  hint: string | null;
}

export interface CalloutView {
  tone: 'bad' | 'warn';
  id: string;
  title: string;
  items: ({ text: string; anchor?: undefined } | ProblemItem)[];
}

/** Unexpected outcomes, warnings and cells that did not build or run; empty when all is well. */
export function attentionView(ctx: Ctx): { callouts: CalloutView[] } {
  const { run } = ctx;
  const callouts: CalloutView[] = [];
  const texts = (lines: string[]) => lines.map((text) => ({ text }));
  const blockers = (run.overall.blockers ?? []).filter((b) => !b.startsWith('unexpected: '));
  if (run.overall.verdict !== 'validated' && blockers.length > 0) {
    callouts.push({ tone: 'bad', id: 'blockers', title: `Why not validated (${blockers.length})`, items: texts(blockers) });
  }
  const warnings = run.matrix.warnings ?? [];
  if (warnings.length > 0) callouts.push({ tone: 'warn', id: 'warnings', title: `Warnings (${warnings.length})`, items: texts(warnings) });
  const unexpected = run.overall.unexpected;
  if (unexpected.length > 0) {
    callouts.push({ tone: 'bad', id: 'unexpected', title: `Unexpected outcomes (${unexpected.length})`, items: texts(unexpected) });
  }
  const problems = run.cells.filter((c) => CELL_NOTICE_STATES.has(c.state)).map((c): ProblemItem => ({
    anchor: cellAnchor(ctx, c),
    where: `${c.variant.name} on ${columnIdOf(c)}${c.repeat > 1 ? ` (repeat ${c.repeat})` : ''}`,
    problem: describeProblem(c.state, c.error?.message),
    hint: c.error?.hint || null,
  }));
  if (problems.length > 0) callouts.push({ tone: 'warn', id: 'not-run', title: 'Did not build, boot or finish', items: problems });
  return { callouts };
}
