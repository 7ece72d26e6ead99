// The cells (cells.eta, cell.eta): an overview table, then one article per
// cell with its facts, error, stages, suites, console findings and the tail
// of each log.
import type { CellResult, SuiteRun } from '../../results/types.ts';
import { formatDuration, tailLines } from '../common.ts';
import { buildText, caseCounts, cellAnchor, logAnchor, plural, type Ctx } from './context.ts';

/** Lines of each log kept on the page; the full log stays in the cell dir. */
export const LOG_TAIL_LINES = 400;

export interface CellsView {
  overview: {
    anchor: string; id: string; state: string; accel: string; build: string; boot: string; counts: string; findings: number; total: string;
  }[];
  cells: CellView[];
}

export interface CellView {
  anchor: string;
  id: string;
  state: string;
  accel: string | null;
  repeat: number;
  facts: { dlClass: string; facts: [string, string][] };
  error: {
    kind: string; title: string; code: string; stage: string | null; message: string; hint: string | null; logTail: string | null;
  } | null;
  stages: { failed: boolean; stage: string; status: string; duration: string; width: string; log: string }[];
  suites: {
    suite: string; exit: string | number; flags: string; duration: string; counts: string; ktap: SuiteKtapView | null; log: string;
  }[];
  consoleLog: string;
  findings: { kind: string; line: number; text: string; excerpt: { text: string; mark: boolean }[] }[];
  logs: { anchor: string; name: string; note: string; dropped: string | null; text: string }[];
  /** Names of the logs in the cell dir, when none was handed to the renderer. */
  logNames: string | null;
}

/** A suite's KTAP document at a glance: its version, whether it was complete, the parser's problems. */
interface SuiteKtapView {
  version: string;
  complete: boolean;
  problems: string[];
}

export function cellsView(ctx: Ctx): CellsView {
  const overview = ctx.run.cells.map((c) => ({
    anchor: cellAnchor(ctx, c),
    id: c.id,
    state: c.state,
    accel: c.accel ?? '–',
    build: buildText(c),
    boot: c.boot ? formatDuration(c.boot.toSshMs) : '–',
    counts: caseCounts(c),
    findings: c.console.findings.length,
    total: formatDuration(c.durationMs),
  }));
  return { overview, cells: ctx.run.cells.map((c) => cellView(ctx, c)) };
}

function cellView(ctx: Ctx, c: CellResult): CellView {
  const anchor = cellAnchor(ctx, c);
  const e = c.error;
  return {
    anchor,
    id: c.id,
    state: c.state,
    accel: c.accel,
    repeat: c.repeat,
    facts: { dlClass: 'cellfacts', facts: cellFacts(c) },
    error: e ? {
      kind: e.kind, title: e.kind === 'user' ? 'error' : 'infrastructure error', code: e.code, stage: e.stage || null,
      message: e.message, hint: e.hint || null, logTail: e.logTail || null,
    } : null,
    stages: stagesView(c),
    suites: c.suites.map((s) => suiteView(c, s)),
    consoleLog: c.console.log ?? 'console',
    findings: c.console.findings.map((f) => ({
      kind: f.kind, line: f.line, text: f.text, excerpt: f.excerpt.map((l) => ({ text: l, mark: l === f.text })),
    })),
    logs: logsView(ctx, c),
    logNames: c.console.log || c.suites.length > 0 ? [c.console.log, ...c.suites.map((s) => s.outputLog)].filter(Boolean).join(', ') : null,
  };
}

function cellFacts(c: CellResult): [string, string][] {
  const patches = c.variant.patches.map((p) => {
    const subjects = p.subjects.filter(Boolean);
    return `${p.path}${subjects.length ? ` — ${subjects.join('; ')}` : ''}`;
  });
  const accel = c.accel ? `${c.accel}${c.accelReason ? ` (${c.accelReason})` : ''}${c.qemuVersion ? `, qemu ${c.qemuVersion}` : ''}` : '–';
  return [
    ['kernel', [c.kernel.identity, c.kernel.version, c.kernel.release].filter(Boolean).join(' · ') || c.kernel.id],
    ['variant', patches.length === 0 ? `${c.variant.name} (no patches)` : `${c.variant.name}: ${patches.join(' | ')}`],
    ['accel', accel],
    ['build', c.build ? `${buildText(c)}; key ${c.build.key.slice(0, 16)}` : '–'],
    ['boot', c.boot ? `sshd after ${formatDuration(c.boot.toSshdMs)}, SSH after ${formatDuration(c.boot.toSshMs)}` : '–'],
    ['time', `${c.startedAt} → ${c.finishedAt || '?'} (${formatDuration(c.durationMs)})`],
  ];
}

/** Each stage with its time as a bar, relative to the slowest. */
function stagesView(c: CellResult): CellView['stages'] {
  const max = Math.max(1, ...c.stages.map((s) => s.durationMs));
  return c.stages.map((s) => ({
    failed: s.status === 'failed',
    stage: s.stage,
    status: s.status === 'ok' ? '✓' : '✗ failed',
    duration: formatDuration(s.durationMs),
    width: Math.max(0.5, (100 * s.durationMs) / max).toFixed(1),
    log: s.log ?? '',
  }));
}

function suiteView(c: CellResult, s: SuiteRun): CellView['suites'][number] {
  const k = s.ktap;
  return {
    suite: s.suite,
    exit: s.exitCode ?? '–',
    flags: [s.timedOut ? 'timed out' : '', s.disconnected ? 'SSH lost' : ''].filter(Boolean).join(', '),
    duration: formatDuration(s.durationMs),
    counts: caseCounts({ ...c, suites: [s] }),
    ktap: k ? {
      version: k.version ?? 'no header',
      complete: k.complete,
      problems: (k.problems ?? []).map((p) => `${p.line ? `line ${p.line}: ` : ''}${p.message}`),
    } : null,
    log: s.outputLog,
  };
}

/** The tail of each log handed to the renderer, and how much of it was left out. */
function logsView(ctx: Ctx, c: CellResult): CellView['logs'] {
  return (ctx.logs[c.id] ?? []).map((l, i) => {
    const t = tailLines(l.text, LOG_TAIL_LINES);
    return {
      anchor: logAnchor(ctx, c, i),
      name: l.name,
      note: t.dropped > 0 ? `last ${t.lines.length} of ${t.total} lines` : plural(t.total, 'line'),
      dropped: t.dropped > 0 ? plural(t.dropped, 'earlier line') : null,
      text: t.lines.join('\n'),
    };
  });
}
