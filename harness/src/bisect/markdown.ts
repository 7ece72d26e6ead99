// bisect.md: the answer first, in the form the kernel cites commits, then
// the step log. A pure function of bisect.json.
import { commitReference } from './git-output.ts';
import type { BisectAnswer, BisectRecord, BisectStep } from './record.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The answer as the kernel would cite it: a Fixes: line for a regression, the upstream commit a backport names for a fix. */
export function answerLines(r: Pick<BisectRecord, 'request' | 'terms'>, answer: BisectAnswer): string[] {
  const what = r.request.mode === 'versions' ? 'version' : 'commit';
  switch (answer.status) {
    case 'found': {
      if (r.request.mode === 'versions') {
        const change = answer.change ? ` (${answer.change.from} before it, ${answer.change.to} from it)` : '';
        return [`**First version where ${r.request.caseId} changes: ${answer.commit}${answer.version ? ` (${answer.version})` : ''}**${change}.`];
      }
      const ref = commitReference(answer.commit, answer.subject);
      return r.request.fixed
        ? [`**First fixed commit: ${ref}** — the first commit where ${r.request.caseId} passes; a backport of it says:`, '', '```', `commit ${answer.commit} upstream.`, '```']
        : [`**First bad commit: ${ref}** — the first commit where ${r.request.caseId} fails; its fix carries:`, '', '```', `Fixes: ${ref}`, '```'];
    }
    case 'ambiguous':
      return [`**No single answer**: skipped ${what}s hide it; the first ${r.terms.new} ${what} is one of:`, '',
        ...answer.candidates.map((c) => `- ${r.request.mode === 'versions' ? c.commit : commitReference(c.commit, c.subject)}`)];
    case 'no-change':
      return [`**No change**: the first and last ${what}s both gave \`${answer.outcome}\` for ${r.request.caseId}.`];
    case 'aborted':
      return [`**Stopped** [${answer.code}]: ${answer.reason}`];
    case 'running':
      return ['**Unfinished**: the bisection was interrupted; the same command resumes it from the steps below.'];
  }
}

function facts(r: BisectRecord): string[] {
  const q = r.request;
  const built = r.steps.filter((s) => s.term !== 'skip').length;
  const rows: [string, string][] = [
    ['case', `\`${q.caseId}\` (suite ${q.suite})`],
    ['arch / variant', `${q.arch} / ${q.variant}`],
  ];
  if (q.mode === 'commits') {
    rows.push(['source', `\`${q.source}\``]);
    // --good is the older end of a regression hunt, --bad the older end of a fix hunt.
    const [older, newer] = q.fixed ? [q.bad, q.good] : [q.good, q.bad];
    rows.push(['range', `${r.terms.old} \`${older?.ref}\` (${older?.commit.slice(0, 12)}) .. ${r.terms.new} \`${newer?.ref}\` (${newer?.commit.slice(0, 12)})`]);
  } else {
    rows.push(['kernels', (q.kernels ?? []).join(', ')]);
  }
  rows.push(['candidates', `${r.range.candidates}, about ${r.range.expectedSteps} step(s) without skips`]);
  rows.push(['steps', `${r.steps.length} (${built} answered, ${r.steps.length - built} skipped)${r.meanStepMs !== null ? `, mean ${secs(r.meanStepMs)} per step` : ''}`]);
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)];
}

function buildText(s: BisectStep): string {
  if (!s.build) return '—';
  if (s.build.cached) return 'cached';
  return `${secs(s.build.durationMs)}, ${s.build.compiledObjects} object(s)`;
}

function stepRow(s: BisectStep, versions: boolean): string {
  const what = versions ? `${s.commit}${s.version ? ` (${s.version})` : ''}` : `\`${s.commit.slice(0, 12)}\` ${s.subject}`;
  return `| ${s.n} | ${cell(what)} | **${s.said}** | ${cell(s.evidence.reason)} | ${buildText(s)} | ${secs(s.durationMs)} | [logs](${s.evidence.logs.dir}/) |`;
}

export function renderBisectMarkdown(r: BisectRecord): string {
  const title = `# kvmatrix bisect${r.request.mode === 'versions' ? ' --versions' : ''}${r.request.fixed ? ' --fixed' : ''}: ${r.request.caseId}`;
  const lines = [title, '', ...answerLines(r, r.answer), '', ...facts(r), '', '## Steps', ''];
  if (r.steps.length === 0) lines.push('No step ran.');
  else {
    lines.push('| # | tested | said | evidence | build | step | |', '|---|---|---|---|---|---|---|');
    lines.push(...r.steps.map((s) => stepRow(s, r.request.mode === 'versions')));
  }
  lines.push('', `Run ${r.runId}, started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}. Canonical record: bisect.json.`, '');
  return lines.join('\n');
}
