// junit.xml for CI dashboards. One <testsuite> per cell with one <testcase>
// per case, judged by that cell alone (base failing is a failure of the base
// kernel: the matrix verdict rides along in the message). A cell that did not
// get through its cases has a testcase "<cell>" carrying the error and the
// log tail: an <error> for patch/build/boot failures, timeouts and
// infrastructure, a <failure> when the kernel under test panicked. A last suite,
// "verdicts", has one testcase per matrix cell (case x kernel/arch), so CI
// can show the comparison itself. All text is XML 1.0-clean: kernel logs
// carry control characters that would make the file unparseable.
import type { CaseResult, CellResult, RunSummary, Verdict } from '../results/types.ts';
import { CELL_PROBLEM_STATES, VERDICT_MEANING, caseName, cleanText, columnIdOf, failureLine, findingHeadline, judgedOutcomes } from './common.ts';

const MESSAGE_MAX = 300;

/** Text content: & and < must go; > too, so "]]>" can never appear. */
export function xmlText(text: string): string {
  return cleanText(text).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Attribute values: also quotes, and whitespace that attribute normalisation would flatten. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/["'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function message(text: string): string {
  const one = cleanText(text).replace(/\s*\n\s*/g, ' ').trim();
  return one.length > MESSAGE_MAX ? `${one.slice(0, MESSAGE_MAX - 1)}…` : one;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** "kvmatrix.<kernel>.<arch>.<variant>"; dots inside the variant would shift the class name, so they become "_". */
function className(cell: CellResult): string {
  return `kvmatrix.${cell.kernel.id}.${cell.arch}.${cell.variant.name.replace(/\./g, '_')}`.replace(/\s+/g, '_');
}

interface Counts { tests: number; failures: number; errors: number; skipped: number }

function attrs(pairs: [string, string | number][]): string {
  return pairs.map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`).join('');
}

export function renderJunit(run: RunSummary): string {
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites: string[] = [];
  for (const cell of run.cells) suites.push(cellSuite(run, cell, total));
  suites.push(verdictSuite(run, total));
  const head = `<testsuites${attrs([
    ['name', `kvmatrix ${run.config.name}`],
    ['tests', total.tests], ['failures', total.failures], ['errors', total.errors], ['skipped', total.skipped],
    ['time', seconds(run.cells.reduce((a, c) => a + c.durationMs, 0))],
    ['timestamp', run.startedAt],
  ])}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}\n${suites.join('\n')}\n</testsuites>\n`;
}

/** The `<cell>` test case of a cell that did not run its suites: an error (a failure for a crashed kernel), or a skip when the kernel already has the change. */
function cellStateCase(cell: CellResult, cls: string, counts: Counts): string | null {
  const open = `    <testcase${attrs([['classname', cls], ['name', '<cell>'], ['time', seconds(cell.durationMs)]])}>`;
  if (cell.state === 'already-present') {
    counts.tests++;
    counts.skipped++;
    return `${open}\n      <skipped${attrs([['message', message(`already present: ${cell.error?.message ?? ''}`)]])}/>\n    </testcase>`;
  }
  if (!CELL_PROBLEM_STATES.has(cell.state)) return null;
  // A kernel that panicked under test failed; everything else kept the cell from running.
  const tag = cell.state === 'crashed' ? 'failure' : 'error';
  counts.tests++;
  if (tag === 'failure') counts.failures++; else counts.errors++;
  const e = cell.error;
  const msg = e ? `${cell.state}: ${e.code}: ${e.message}` : cell.state;
  const body = [
    e ? `${e.kind === 'user' ? 'error' : 'infrastructure error'} [${e.code}]${e.stage ? ` in ${e.stage}` : ''}: ${e.message}` : `cell state ${cell.state}`,
    e?.hint ? `fix: ${e.hint}` : '',
    e?.logTail ? `--- last lines of the log ---\n${e.logTail}` : '',
  ].filter(Boolean).join('\n');
  return `${open}\n      <${tag}${attrs([['message', message(msg)], ['type', cell.state]])}>${xmlText(body)}</${tag}>\n    </testcase>`;
}

function cellSuite(run: RunSummary, cell: CellResult, total: Counts): string {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const cases: string[] = [];
  const cls = className(cell);

  const stateCase = cellStateCase(cell, cls, counts);
  if (stateCase) cases.push(stateCase);

  for (const suite of cell.suites) {
    for (const c of suite.cases) {
      counts.tests++;
      const open = `    <testcase${attrs([['classname', cls], ['name', c.id], ['time', '0']])}`;
      switch (c.outcome) {
        case 'pass':
          cases.push(`${open}/>`);
          break;
        case 'skip':
          counts.skipped++;
          cases.push(`${open}>\n      <skipped${attrs([['message', message(c.reason ?? 'skipped')]])}/>\n    </testcase>`);
          break;
        case 'fail':
        case 'error':
        case 'infra-error': {
          const tag = c.outcome === 'fail' ? 'failure' : 'error';
          if (tag === 'failure') counts.failures++; else counts.errors++;
          const why = failureLine(caseName(c.id), c.diagnostics) ?? c.reason ?? (c.outcome === 'fail' ? 'not ok' : 'did not report a result');
          cases.push(`${open}>\n      <${tag}${attrs([['message', message(why)], ['type', c.outcome]])}>${xmlText(caseBody(run, cell, c))}</${tag}>\n    </testcase>`);
          break;
        }
      }
    }
  }

  total.tests += counts.tests; total.failures += counts.failures; total.errors += counts.errors; total.skipped += counts.skipped;
  const props: [string, string | number | null | undefined][] = [
    ['kernel', cell.kernel.id], ['kernel.identity', cell.kernel.identity], ['kernel.version', cell.kernel.version],
    ['kernel.release', cell.kernel.release], ['arch', cell.arch], ['variant', cell.variant.name],
    ['patches', cell.variant.patches.map((p) => p.path).join(' ')], ['repeat', cell.repeat], ['state', cell.state],
    ['accel', cell.accel], ['qemu', cell.qemuVersion],
    ['build', cell.build ? `${cell.build.cached ? 'cached' : cell.build.incremental ? 'incremental' : 'full'} ${seconds(cell.build.durationMs)}s` : null],
    ['boot.toSshMs', cell.boot?.toSshMs], ['console.findings', cell.console.findings.length],
  ];
  const properties = `    <properties>\n${props.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `      <property${attrs([['name', k], ['value', String(v)]])}/>`).join('\n')}\n    </properties>`;
  const findings = cell.console.findings.map((f) => `${f.kind} at ${cell.console.log ?? 'console'}:${f.line}: ${findingHeadline(f.text)}\n${f.excerpt.map((l) => `  ${l}`).join('\n')}`);
  const err = findings.length > 0 ? `\n    <system-err>${xmlText(`console findings:\n${findings.join('\n')}`)}</system-err>` : '';
  return `  <testsuite${attrs([
    ['name', cell.id], ['tests', counts.tests], ['failures', counts.failures], ['errors', counts.errors], ['skipped', counts.skipped],
    ['time', seconds(cell.durationMs)], ['timestamp', cell.startedAt],
  ])}>\n${properties}\n${cases.join('\n')}${err}\n  </testsuite>`;
}

function caseBody(run: RunSummary, cell: CellResult, c: CaseResult): string {
  const lines = c.diagnostics.map((d) => `# ${d}`);
  const metrics = Object.entries(c.metrics);
  if (metrics.length > 0) lines.push(`metrics: ${metrics.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (c.reason) lines.push(`reason: ${c.reason}`);
  const row = run.matrix.rows.find((r) => r.caseId === c.id);
  const col = run.matrix.columns.find((x) => x.id === columnIdOf(cell));
  const mc = row?.cells[columnIdOf(cell)];
  if (mc && col) {
    lines.push(`matrix verdict on ${col.id}: ${mc.verdict} (${judgedOutcomes(run, col, mc.outcomes).map(([v, o]) => `${v} ${o}`).join(', ')})`);
    for (const e of mc.expected ?? []) lines.push(`expected ${e.outcome}: ${e.met ? 'met' : 'NOT met'}${e.note ? ` (${e.note})` : ''}`);
  }
  return lines.join('\n');
}

/** Verdicts that fail the comparison; those in EXPLAINABLE pass when the config's expectations account for them. */
const VERDICT_FAILS: ReadonlySet<Verdict> = new Set(['regressed', 'flaky', 'still-failing', 'fail', 'lost', 'crashed']);
const EXPLAINABLE: ReadonlySet<Verdict> = new Set(['still-failing', 'fail', 'lost', 'crashed']);

function verdictSuite(run: RunSummary, total: Counts): string {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const cases: string[] = [];
  for (const col of run.matrix.columns) {
    const cls = `kvmatrix.${col.kernel}.${col.arch}`.replace(/\s+/g, '_');
    for (const row of run.matrix.rows) {
      const mc = row.cells[col.id];
      if (!mc) continue;
      counts.tests++;
      const outcomes = judgedOutcomes(run, col, mc.outcomes).map(([v, o]) => `${v} ${o}`).join(', ');
      const summary = `${mc.verdict}: ${VERDICT_MEANING[mc.verdict]} (${outcomes})`;
      const unmet = (mc.expected ?? []).filter((e) => !e.met);
      const open = `    <testcase${attrs([['classname', cls], ['name', row.caseId], ['time', '0']])}`;
      const fails = VERDICT_FAILS.has(mc.verdict) && !(EXPLAINABLE.has(mc.verdict) && mc.explained);
      if (mc.verdict === 'infra-error' || mc.verdict === 'missing') {
        counts.errors++;
        const why = col.variants.filter((v) => v.state !== 'ok').map((v) => `${v.variant}: ${v.state}${v.message ? `: ${v.message}` : ''}`).join('; ');
        cases.push(`${open}>\n      <error${attrs([['message', message(summary)], ['type', mc.verdict]])}>${xmlText(why || mc.reason || summary)}</error>\n    </testcase>`);
      } else if (fails || unmet.length > 0) {
        counts.failures++;
        const msg = unmet.length > 0 && !fails
          ? `unexpected: ${unmet.map((e) => `expected ${e.outcome}`).join(', ')}; ${summary}` : summary;
        const body = [summary, ...unmet.map((e) => `expected ${e.outcome}: NOT met${e.note ? ` (${e.note})` : ''}`)].join('\n');
        cases.push(`${open}>\n      <failure${attrs([['message', message(msg)], ['type', unmet.length > 0 && !fails ? 'unexpected' : mc.verdict]])}>${xmlText(body)}</failure>\n    </testcase>`);
      } else if (mc.verdict === 'skip') {
        counts.skipped++;
        cases.push(`${open}>\n      <skipped${attrs([['message', message(mc.reason ?? summary)]])}/>\n    </testcase>`);
      } else {
        cases.push(`${open}>\n      <system-out>${xmlText(summary)}</system-out>\n    </testcase>`);
      }
    }
  }
  total.tests += counts.tests; total.failures += counts.failures; total.errors += counts.errors; total.skipped += counts.skipped;
  return `  <testsuite${attrs([
    ['name', 'verdicts'], ['tests', counts.tests], ['failures', counts.failures], ['errors', counts.errors], ['skipped', counts.skipped],
    ['time', '0'], ['timestamp', run.startedAt],
  ])}>\n    <properties>\n      <property${attrs([['name', 'overall'], ['value', run.overall.verdict]])}/>\n      <property${attrs([['name', 'exitCode'], ['value', String(run.overall.exitCode)]])}/>\n      <property${attrs([['name', 'line'], ['value', run.overall.line]])}/>\n    </properties>\n${cases.join('\n')}${notes(run)}\n  </testsuite>`;
}

/** Why the run is not validated, and expectations that matched nothing: said once, for the CI log. */
function notes(run: RunSummary): string {
  const lines = [
    ...(run.overall.verdict !== 'validated' ? (run.overall.blockers ?? []).map((b) => `blocker: ${b}`) : []),
    ...(run.matrix.warnings ?? []).map((w) => `warning: ${w}`),
  ];
  return lines.length > 0 ? `\n    <system-err>${xmlText(lines.join('\n'))}</system-err>` : '';
}
