// report.html: one self-contained page (inline CSS and JS, no external
// resource, a CSP that forbids loading any). The matrix is coloured by
// verdict; each matrix cell links to its case detail (per-variant outcomes,
// the case's KTAP lines, metrics), which the script opens in a dialog; the
// page still reads without JS (the details are plain <details> below).
// Every piece of text goes through esc(): kernel logs are full of "<".
import type { CaseResult, CellResult, MatrixColumn, MatrixRow, RunSummary, Verdict } from '../results/types.ts';
import {
  CELL_PROBLEM_STATES, VERDICT_LABEL, VERDICT_MEANING, VERDICT_ORDER,
  caseKtapLines, caseLabel, cleanText, judgedOutcomes, columnIdOf, commonSuite, describeProblem, formatDuration,
  notableMetrics, skipNotes, tailLines, variantOrder,
  type LogText, type RenderExtras,
} from './common.ts';

export type { RenderExtras } from './common.ts';

/** Lines of each log kept on the page; the full log stays in the cell dir. */
export const LOG_TAIL_LINES = 400;

const OVERALL_WORD: Record<RunSummary['overall']['verdict'], string> = {
  validated: 'VALIDATED',
  'not-validated': 'NOT VALIDATED',
  'infra-error': 'INCOMPLETE',
};

export function esc(text: string | number | null | undefined): string {
  return cleanText(String(text ?? '')).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Anchors that stay readable ("cell-6.1_x86_64_base") and unique. */
class Anchors {
  private used = new Set<string>();
  private byKey = new Map<string, string>();
  get(prefix: string, key: string): string {
    const k = `${prefix}\u0000${key}`;
    const known = this.byKey.get(k);
    if (known) return known;
    const base = `${prefix}-${key.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    this.byKey.set(k, id);
    return id;
  }
}

interface Ctx {
  run: RunSummary;
  logs: Record<string, LogText[]>;
  anchors: Anchors;
  suite: string | null;
}

export function renderHtml(run: RunSummary, extras: RenderExtras = {}): string {
  const ctx: Ctx = { run, logs: extras.logs ?? {}, anchors: new Anchors(), suite: commonSuite(run.matrix.rows) };
  const title = `kvmatrix ${run.config.name}: ${OVERALL_WORD[run.overall.verdict]}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    header(ctx),
    '<main>',
    attention(ctx),
    matrixSection(ctx),
    diagnosticsSection(ctx),
    cellsSection(ctx),
    caseDetailsSection(ctx),
    '</main>',
    '<dialog id="panel" aria-label="Case details"><form method="dialog" class="panel-close"><button value="close" aria-label="Close">Close ✕</button></form><div id="panel-body"></div></dialog>',
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(ctx: Ctx): string {
  const { run } = ctx;
  const m = run.matrix;
  const chips = VERDICT_ORDER.filter((v) => (m.counts[v] ?? 0) > 0)
    .map((v) => `<span class="chip v-${v}" title="${esc(VERDICT_MEANING[v])}">${m.counts[v]} ${esc(v)}</span>`).join(' ');
  const qemu = Object.entries(run.host.qemu).map(([k, v]) => `${k} ${v}`).join(', ');
  const facts: [string, string][] = [
    ['run', run.runId],
    ['config', `${run.config.name} (${run.config.file})`],
    ['host', `${run.host.arch}, ${run.host.cpus} CPUs, ${run.host.memoryGb} GB${qemu ? `; ${qemu}` : ''}`],
    ['started', `${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ' (not finished)'}`],
    ['exit code', `${run.overall.exitCode}${run.complete ? '' : ' (run incomplete)'}${run.shard ? `; shard ${run.shard.index}/${run.shard.count}` : ''}`],
  ];
  return `<header class="banner o-${run.overall.verdict}">
<div class="word">${esc(OVERALL_WORD[run.overall.verdict])}</div>
<p class="line" id="verdict-line">${esc(lineAfterWord(run.overall.line, OVERALL_WORD[run.overall.verdict]))}</p>
<div class="chips">${chips}<span class="chips-note">cases × columns</span></div>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
<div class="kvm">kvmatrix ${esc(run.harnessVersion)}</div>
</header>`;
}

/** The verdict line without the word the banner already shows in large type. */
function lineAfterWord(line: string, word: string): string {
  return line.toUpperCase().startsWith(`${word}:`) ? line.slice(word.length + 1).trim() : line;
}

/** What a reader must see before the matrix: unexpected outcomes, cells that did not build or run. */
function attention(ctx: Ctx): string {
  const { run } = ctx;
  const parts: string[] = [];
  const blockers = (run.overall.blockers ?? []).filter((b) => !b.startsWith('unexpected: '));
  if (run.overall.verdict !== 'validated' && blockers.length > 0) {
    parts.push(`<section class="callout bad" id="blockers"><h2>Why not validated (${blockers.length})</h2><ul>${blockers.map((b) => `<li>${esc(b)}</li>`).join('')}</ul></section>`);
  }
  if ((run.matrix.warnings ?? []).length > 0) {
    parts.push(`<section class="callout warn" id="warnings"><h2>Warnings (${run.matrix.warnings.length})</h2><ul>${run.matrix.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`);
  }
  if (run.overall.unexpected.length > 0) {
    parts.push(`<section class="callout bad" id="unexpected"><h2>Unexpected outcomes (${run.overall.unexpected.length})</h2><ul>${run.overall.unexpected.map((u) => `<li>${esc(u)}</li>`).join('')}</ul></section>`);
  }
  const problems = run.cells.filter((c) => CELL_PROBLEM_STATES.has(c.state));
  if (problems.length > 0) {
    parts.push(`<section class="callout warn" id="not-run"><h2>Did not build, boot or finish</h2><ul>${problems.map((c) => {
      const where = `${c.variant.name} on ${columnIdOf(c)}${c.repeat > 1 ? ` (repeat ${c.repeat})` : ''}`;
      return `<li><a href="#${ctx.anchors.get('cell', c.id)}"><b>${esc(where)}</b></a>: ${esc(describeProblem(c.state, c.error?.message))}${c.error?.hint ? `<div class="hint">fix: ${esc(c.error.hint)}</div>` : ''}</li>`;
    }).join('')}</ul></section>`);
  }
  return parts.length > 0 ? `<div class="attention">${parts.join('\n')}</div>` : '';
}

function outcomeSummary(ctx: Ctx, col: MatrixColumn, outcomes: Record<string, string>): string {
  return judgedOutcomes(ctx.run, col, outcomes).map(([, o]) => o).join(' → ');
}

function matrixSection(ctx: Ctx): string {
  const { run, suite } = ctx;
  const m = run.matrix;
  if (m.rows.length === 0 || m.columns.length === 0) return '<section id="matrix"><h2>Matrix</h2><p>No case ran.</p></section>';
  const { notes, numberOf } = skipNotes(run);
  const head = m.columns.map((col) => {
    const variants = variantOrder(run, col).map((v) => {
      const st = col.variants.find((x) => x.variant === v);
      if (!st) return '';
      const bad = st.state !== 'ok';
      const note = st.expected ? ' (as expected)' : '';
      return `<span class="vs ${bad && !st.expected ? 'bad' : 'ok'}" title="${esc(bad ? `${describeProblem(st.state, st.message)}${note}` : `${v}: ok`)}">${esc(v)}${bad ? ` <i>${esc(st.state)}${esc(note)}</i>` : ''}</span>`;
    }).join('');
    const findings = run.cells.filter((c) => columnIdOf(c) === col.id && c.console.findings.length > 0)
      .map((c) => `<a href="#${ctx.anchors.get('cell', c.id)}" title="${esc(c.console.findings.map((f) => f.text).join('\n'))}">⚠ ${esc(c.variant.name)}: ${c.console.findings.length === 1 ? esc(c.console.findings[0]?.kind ?? 'finding') : `${c.console.findings.length} findings`}</a>`);
    return `<th scope="col" class="col"><div class="col-id">${esc(col.id)}</div><div class="col-ver">${esc(col.version ?? '')}</div><div class="col-variants">${variants}</div>${findings.length ? `<div class="col-find">${findings.join('<br>')}</div>` : ''}</th>`;
  }).join('');
  const body = m.rows.map((row, r) => {
    const tds = m.columns.map((col, c) => {
      const cell = row.cells[col.id];
      if (!cell) return '<td class="mc empty">–</td>';
      const n = numberOf(row.caseId, col.id);
      const unmet = cell.expected?.some((e) => !e.met) ?? false;
      const id = detailId(r, c);
      const tip = `${row.caseId} on ${col.id}: ${cell.verdict} (${Object.entries(cell.outcomes).map(([v, o]) => `${v} ${o}`).join(', ')})${cell.reason ? `; ${cell.reason}` : ''}`;
      return `<td class="mc v-${cell.verdict}${unmet ? ' unmet' : ''}" data-verdict="${esc(cell.verdict)}"><a class="cellbtn" href="#${id}" data-detail="${id}" title="${esc(tip)}"><span class="lbl">${esc(VERDICT_LABEL[cell.verdict])}${n !== null ? `<sup>${n}</sup>` : ''}${unmet ? '<b class="bang" title="not what the config expects">!</b>' : ''}</span><span class="oc">${esc(outcomeSummary(ctx, col, cell.outcomes))}</span></a></td>`;
    }).join('');
    return `<tr><th scope="row" class="case">${esc(caseLabel(row.caseId, suite))}</th>${tds}</tr>`;
  }).join('\n');
  const seen = VERDICT_ORDER.filter((v) => m.rows.some((row) => Object.values(row.cells).some((c) => c.verdict === v)));
  const legend = seen.map((v) => `<span class="key"><span class="sw v-${v}">${esc(VERDICT_LABEL[v])}</span> ${esc(VERDICT_MEANING[v])}</span>`).join('');
  const footnotes = notes.length === 0 ? '' : `<ol class="footnotes">${notes.map((n) => `<li value="${n.number}"><sup>${n.number}</sup> skip on ${esc(n.columns.join(', '))} (${n.count} case${n.count === 1 ? '' : 's'}): ${esc(n.reason)}</li>`).join('')}</ol>`;
  return `<section id="matrix">
<h2>Matrix${suite ? ` <span class="sub">suite ${esc(suite)}</span>` : ''}</h2>
<p class="help">Each column compares base with the other variants built for that kernel and arch (outcomes shown base → patched). Click a cell for its outcomes, KTAP lines, metrics and logs.</p>
<div class="scroll"><table class="matrix" id="matrix-table">
<thead><tr><th scope="col" class="case">case</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>
<div class="legend">${legend}${m.rows.some((row) => Object.values(row.cells).some((c) => c.expected?.some((e) => !e.met))) ? '<span class="key"><span class="sw unmet-key">!</span> not what the config expects</span>' : ''}</div>
${footnotes}
</section>`;
}

function detailId(r: number, c: number): string {
  return `d-${r}-${c}`;
}

function diagnosticsSection(ctx: Ctx): string {
  const notable = notableMetrics(ctx.run);
  if (notable.length === 0) return '';
  return `<section id="diagnostics"><h2>Notable diagnostics</h2><p class="help">Metrics the selftest printed (key=value) whose value differs between variants.</p>
<table class="plain"><thead><tr><th>case</th><th>column</th><th>metric</th><th>values</th></tr></thead><tbody>${notable.map((n) => {
    const r = ctx.run.matrix.rows.findIndex((row) => row.caseId === n.caseId);
    const c = ctx.run.matrix.columns.findIndex((col) => col.id === n.colId);
    return `<tr><td><a href="#${detailId(r, c)}" data-detail="${detailId(r, c)}">${esc(caseLabel(n.caseId, ctx.suite))}</a></td><td>${esc(n.colId)}</td><td><code>${esc(n.metric)}</code></td><td>${n.values.map(([v, x]) => `${esc(v)} <b>${esc(x)}</b>`).join(', ')}</td></tr>`;
  }).join('')}</tbody></table></section>`;
}

// ---------------------------------------------------------------- case details

function caseDetailsSection(ctx: Ctx): string {
  const { run } = ctx;
  const items: string[] = [];
  run.matrix.rows.forEach((row, r) => {
    run.matrix.columns.forEach((col, c) => {
      const cell = row.cells[col.id];
      if (!cell) return;
      items.push(`<details class="case-detail" id="${detailId(r, c)}"><summary><span class="badge v-${cell.verdict}">${esc(VERDICT_LABEL[cell.verdict])}</span> ${esc(caseLabel(row.caseId, ctx.suite))} <span class="muted">on ${esc(col.id)}</span></summary><div class="detail-body">${caseDetail(ctx, row, col)}</div></details>`);
    });
  });
  return `<section id="case-details"><h2>Case details</h2><p class="help">The same panels the matrix opens, one per case and column.</p>
${items.join('\n')}
</section>`;
}

function caseDetail(ctx: Ctx, row: MatrixRow, col: MatrixColumn): string {
  const { run } = ctx;
  const cell = row.cells[col.id];
  if (!cell) return '';
  const out: string[] = [];
  out.push(`<h3><span class="badge v-${cell.verdict}">${esc(VERDICT_LABEL[cell.verdict])}</span> ${esc(row.caseId)} <span class="muted">on ${esc(col.id)}${col.version ? ` (${esc(col.version)})` : ''}</span></h3>`);
  out.push(`<p class="meaning">${esc(VERDICT_MEANING[cell.verdict])}${cell.reason ? ` — ${esc(cell.reason)}` : ''}</p>`);

  const cellsOf = (variant: string) => run.cells.filter((c) => columnIdOf(c) === col.id && c.variant.name === variant);
  const rows = variantOrder(run, col).flatMap((variant) => {
    const outcome = cell.outcomes[variant] ?? 'missing';
    const cells = cellsOf(variant);
    if (cells.length === 0) return [`<tr><td>${esc(variant)}</td><td><span class="oc-${esc(outcome)}">${esc(outcome)}</span></td><td>–</td><td></td></tr>`];
    return cells.map((c) => {
      const result = caseResult(c, row.caseId);
      const note = c.state !== 'ok' ? describeProblem(c.state, c.error?.message) : result?.reason ?? '';
      const notBuilt = c.state === 'patch-failed' || c.state === 'build-failed';
      const shown = notBuilt ? 'not built' : result?.outcome ?? outcome;
      return `<tr><td>${esc(variant)}${c.repeat > 1 ? ` #${c.repeat}` : ''}</td><td><span class="oc-${notBuilt ? 'missing' : esc(shown)}">${esc(shown)}</span></td><td><a href="#${ctx.anchors.get('cell', c.id)}">${esc(c.id)}</a> <span class="st st-${esc(c.state)}">${esc(c.state)}</span></td><td>${esc(note)}</td></tr>`;
    });
  });
  out.push(`<table class="plain outcomes"><thead><tr><th>variant</th><th>outcome</th><th>cell</th><th>reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);

  if (cell.expected && cell.expected.length > 0) {
    out.push(`<h4>Expectations</h4><ul class="expect">${cell.expected.map((e) => `<li class="${e.met ? 'met' : 'unmet'}">${e.met ? '✓' : '✗'} expected <code>${esc(e.outcome)}</code>${e.met ? '' : ` — not met`}${e.note ? ` <span class="muted">(${esc(e.note)})</span>` : ''}</li>`).join('')}</ul>`);
  }

  if (cell.metrics && Object.keys(cell.metrics).length > 0) {
    const variants = variantOrder(run, col).filter((v) => cell.metrics?.[v]);
    const keys: string[] = [];
    for (const v of variants) for (const k of Object.keys(cell.metrics[v] ?? {})) if (!keys.includes(k)) keys.push(k);
    out.push(`<h4>Metrics</h4><table class="plain metrics"><thead><tr><th>metric</th>${variants.map((v) => `<th>${esc(v)}</th>`).join('')}</tr></thead><tbody>${keys.map((k) => {
      const vals = variants.map((v) => cell.metrics?.[v]?.[k]);
      const differ = new Set(vals.map(String)).size > 1;
      return `<tr${differ ? ' class="differ"' : ''}><td><code>${esc(k)}</code></td>${vals.map((x) => `<td>${esc(x ?? '–')}</td>`).join('')}</tr>`;
    }).join('')}</tbody></table>`);
  }

  out.push('<h4>KTAP and logs</h4>');
  for (const variant of variantOrder(run, col)) {
    for (const c of cellsOf(variant)) {
      const logs = ctx.logs[c.id];
      const ktap = caseKtapLines(c, row.caseId, logs);
      const logLinks = (logs ?? []).map((l, i) => `<a href="#${logAnchor(ctx, c, i)}">${esc(l.name)}</a>`).join(' · ');
      const span = ktap?.firstLine != null ? (ktap.lines.length === 1 ? `line ${ktap.firstLine} of ` : `lines ${ktap.firstLine}–${ktap.firstLine + ktap.lines.length - 1} of `) : '';
      const where = ktap?.source === 'log' ? `${span}${esc(suiteLogOf(c, row.caseId) ?? 'suite output')}` : ktap ? 'rebuilt from results.json (suite output not attached)' : '';
      out.push(`<div class="ktap-block"><div class="ktap-head"><b>${esc(c.id)}</b> <span class="st st-${esc(c.state)}">${esc(c.state)}</span> <span class="muted">${where}</span>${logLinks ? ` <span class="loglinks">logs: ${logLinks}</span>` : ''}</div>`);
      for (const f of c.console.findings) {
        out.push(`<div class="finding-mini"><span class="tag find">${esc(f.kind)}</span> <a href="#${ctx.anchors.get('cell', c.id)}">${esc(c.console.log ?? 'console')}:${esc(f.line)}</a> <code>${esc(f.text)}</code></div>`);
      }
      if (ktap) out.push(ktapPre(ktap.lines));
      else if (c.error) {
        out.push(`<pre class="log wrap">${esc(`${c.error.code}: ${c.error.message}`)}</pre>`);
        if (c.error.logTail) out.push(`<div class="muted small">last lines of the log:</div><pre class="log">${tailLines(c.error.logTail, 20).lines.map(esc).join('\n')}</pre>`);
      }
      else out.push('<p class="muted">No result for this case in this cell.</p>');
      // The script puts a copy of each log (the cell section's tail) here when the panel opens.
      if (logs && logs.length > 0) out.push(`<div class="log-slots">${logs.map((_, i) => `<div class="log-slot" data-log="${logAnchor(ctx, c, i)}"></div>`).join('')}</div>`);
      out.push('</div>');
    }
  }
  return out.join('\n');
}

function caseResult(cell: CellResult, caseId: string): CaseResult | undefined {
  for (const s of cell.suites) {
    const r = s.cases.find((c) => c.id === caseId);
    if (r) return r;
  }
  return undefined;
}

function suiteLogOf(cell: CellResult, caseId: string): string | undefined {
  return cell.suites.find((s) => s.cases.some((c) => c.id === caseId))?.outputLog;
}

function ktapPre(lines: string[]): string {
  return `<pre class="ktap">${lines.map((l) => {
    const t = l.trimStart();
    const cls = /^not ok\b/.test(t) ? 'k-fail' : /^ok\b.*#\s*SKIP/i.test(t) ? 'k-skip' : /^ok\b/.test(t) ? 'k-pass' : t.startsWith('#') ? 'k-diag' : '';
    return `<span class="${cls}">${esc(l)}</span>`;
  }).join('\n')}</pre>`;
}

// ---------------------------------------------------------------------- cells

function logAnchor(ctx: Ctx, cell: CellResult, index: number): string {
  return ctx.anchors.get('log', `${cell.id}/${index}`);
}

function cellsSection(ctx: Ctx): string {
  const { run } = ctx;
  const overview = `<table class="plain cells-overview"><thead><tr><th>cell</th><th>state</th><th>accel</th><th>build</th><th>boot</th><th>suites</th><th>findings</th><th>total</th></tr></thead><tbody>${run.cells.map((c) => {
    const counts = caseCounts(c);
    return `<tr><td><a href="#${ctx.anchors.get('cell', c.id)}">${esc(c.id)}</a></td><td><span class="st st-${esc(c.state)}">${esc(c.state)}</span></td><td>${esc(c.accel ?? '–')}</td><td>${esc(buildText(c))}</td><td>${c.boot ? esc(formatDuration(c.boot.toSshMs)) : '–'}</td><td>${esc(counts)}</td><td>${c.console.findings.length > 0 ? `<span class="st st-boot-failed">${c.console.findings.length}</span>` : '0'}</td><td>${esc(formatDuration(c.durationMs))}</td></tr>`;
  }).join('')}</tbody></table>`;
  return `<section id="cells"><h2>Cells</h2>
${overview}
${run.cells.map((c) => cellArticle(ctx, c)).join('\n')}
</section>`;
}

function caseCounts(c: CellResult): string {
  const n = { pass: 0, fail: 0, skip: 0, error: 0 };
  for (const s of c.suites) for (const x of s.cases) n[x.outcome === 'infra-error' ? 'error' : x.outcome]++;
  const total = n.pass + n.fail + n.skip + n.error;
  if (total === 0) return c.suites.length === 0 ? '–' : 'no cases';
  return [n.pass ? `${n.pass} pass` : '', n.fail ? `${n.fail} fail` : '', n.skip ? `${n.skip} skip` : '', n.error ? `${n.error} error` : ''].filter(Boolean).join(', ');
}

function buildText(c: CellResult): string {
  if (!c.build) return '–';
  if (c.build.cached) return `cached (built in ${formatDuration(c.build.durationMs)})`;
  if (c.build.incremental) return `incremental, ${c.build.compiledObjects} objects, ${formatDuration(c.build.durationMs)}`;
  return `full, ${formatDuration(c.build.durationMs)}`;
}

function cellArticle(ctx: Ctx, c: CellResult): string {
  const out: string[] = [];
  out.push(`<article class="cell st-border-${esc(c.state)}" id="${ctx.anchors.get('cell', c.id)}">`);
  out.push(`<h3>${esc(c.id)} <span class="st st-${esc(c.state)}">${esc(c.state)}</span>${c.accel ? ` <span class="tag">${esc(c.accel)}</span>` : ''}${c.repeat > 1 ? ` <span class="tag">repeat ${c.repeat}</span>` : ''}</h3>`);
  const facts: [string, string][] = [
    ['kernel', [c.kernel.identity, c.kernel.version, c.kernel.release].filter(Boolean).join(' · ') || c.kernel.id],
    ['variant', c.variant.patches.length === 0 ? `${c.variant.name} (no patches)` : `${c.variant.name}: ${c.variant.patches.map((p) => `${p.path}${p.subjects.filter(Boolean).length ? ` — ${p.subjects.filter(Boolean).join('; ')}` : ''}`).join(' | ')}`],
    ['accel', c.accel ? `${c.accel}${c.accelReason ? ` (${c.accelReason})` : ''}${c.qemuVersion ? `, qemu ${c.qemuVersion}` : ''}` : '–'],
    ['build', c.build ? `${buildText(c)}; key ${c.build.key.slice(0, 16)}` : '–'],
    ['boot', c.boot ? `sshd after ${formatDuration(c.boot.toSshdMs)}, SSH after ${formatDuration(c.boot.toSshMs)}` : '–'],
    ['time', `${c.startedAt} → ${c.finishedAt || '?'} (${formatDuration(c.durationMs)})`],
  ];
  out.push('<div class="cellgrid"><div>');
  out.push(`<dl class="cellfacts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`);

  if (c.error) {
    const e = c.error;
    out.push(`<div class="error ${e.kind}"><div><b>${esc(e.kind === 'user' ? 'error' : 'infrastructure error')} [${esc(e.code)}]</b>${e.stage ? ` in ${esc(e.stage)}` : ''}: ${esc(e.message)}</div>${e.hint ? `<div class="hint">fix: ${esc(e.hint)}</div>` : ''}${e.logTail ? `<div class="muted small">last lines of the log:</div><pre class="log">${esc(e.logTail)}</pre>` : ''}</div>`);
  }

  out.push('</div><div>');
  if (c.stages.length > 0) {
    const max = Math.max(1, ...c.stages.map((s) => s.durationMs));
    out.push(`<h4>Stages</h4><table class="plain stages"><tbody>${c.stages.map((s) => `<tr class="${s.status === 'failed' ? 'failed' : ''}"><td>${esc(s.stage)}</td><td>${s.status === 'ok' ? '✓' : '✗ failed'}</td><td class="num">${esc(formatDuration(s.durationMs))}</td><td class="bar"><span style="width:${Math.max(0.5, (100 * s.durationMs) / max).toFixed(1)}%"></span></td><td class="muted">${esc(s.log ?? '')}</td></tr>`).join('')}</tbody></table>`);
  }

  if (c.suites.length > 0) {
    out.push(`<h4>Suites</h4><table class="plain"><thead><tr><th>suite</th><th>exit</th><th>time</th><th>cases</th><th>KTAP</th><th>output</th></tr></thead><tbody>${c.suites.map((s) => {
      const flags = [s.timedOut ? 'timed out' : '', s.disconnected ? 'SSH lost' : ''].filter(Boolean).join(', ');
      const problems = s.ktap?.problems ?? [];
      const ktap = s.ktap ? `${esc(s.ktap.version ?? 'no header')}${s.ktap.complete ? '' : ', incomplete'}${problems.length ? `; ${problems.map((p) => `${p.line ? `line ${p.line}: ` : ''}${p.message}`).map(esc).join('; ')}` : ''}` : 'not KTAP';
      return `<tr><td>${esc(s.suite)}</td><td>${esc(s.exitCode ?? '–')}${flags ? ` <span class="st st-timeout">${esc(flags)}</span>` : ''}</td><td>${esc(formatDuration(s.durationMs))}</td><td>${esc(caseCounts({ ...c, suites: [s] }))}</td><td>${ktap}</td><td class="muted">${esc(s.outputLog)}</td></tr>`;
    }).join('')}</tbody></table>`);
  }
  out.push('</div></div>');

  if (c.console.findings.length > 0) {
    out.push(`<h4>Console findings</h4>${c.console.findings.map((f) => `<details class="finding" open><summary><span class="tag find">${esc(f.kind)}</span> ${esc(c.console.log ?? 'console')}:${esc(f.line)} <code>${esc(f.text)}</code></summary><pre class="log">${f.excerpt.map((l) => (l === f.text ? `<mark>${esc(l)}</mark>` : esc(l))).join('\n')}</pre></details>`).join('')}`);
  }

  const logs = ctx.logs[c.id] ?? [];
  if (logs.length > 0) {
    out.push(`<h4>Logs</h4>${logs.map((l, i) => {
      const t = tailLines(l.text, LOG_TAIL_LINES);
      const note = t.dropped > 0 ? `last ${t.lines.length} of ${t.total} lines` : `${t.total} line${t.total === 1 ? '' : 's'}`;
      return `<details class="logfile" id="${logAnchor(ctx, c, i)}"><summary><code>${esc(l.name)}</code> <span class="muted">(${esc(note)})</span></summary>${t.dropped > 0 ? `<p class="trunc">… ${t.dropped} earlier line${t.dropped === 1 ? '' : 's'} not shown; the full log is <code>${esc(l.name)}</code> in the cell directory.</p>` : ''}<pre class="log">${t.lines.map(esc).join('\n')}</pre></details>`;
    }).join('')}`);
  } else if (c.console.log || c.suites.length > 0) {
    const names = [c.console.log, ...c.suites.map((s) => s.outputLog)].filter(Boolean).join(', ');
    out.push(`<p class="muted small">Logs in the cell directory: ${esc(names)}</p>`);
  }
  out.push('</article>');
  return out.join('\n');
}

// ------------------------------------------------------------------ CSS + JS

/** [background, text] per verdict; the tests look for these in the screenshot. */
export const VERDICT_COLORS: Record<Verdict, [string, string]> = {
  fixed: ['#1e8e3e', '#ffffff'],
  pass: ['#cdeccf', '#14532d'],
  regressed: ['#b3261e', '#ffffff'],
  'still-failing': ['#e35d52', '#ffffff'],
  fail: ['#f6c4c0', '#7f1d1d'],
  skip: ['#e4e6ea', '#4b5563'],
  'infra-error': ['#f39c34', '#3b2200'],
  flaky: ['#8e44ad', '#ffffff'],
  lost: ['#f5d547', '#3f3000'],
  crashed: ['#7a1b14', '#ffffff'],
  missing: ['#c2410c', '#ffffff'],
};

const CSS = `
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { padding: 4px 28px 40px; max-width: 1500px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h2 .sub { font-weight: normal; color: var(--muted); font-size: 14px; }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 13px; margin: 14px 0 6px; color: #333; text-transform: uppercase; letter-spacing: .04em; }
code, pre, .case, .col-id, .oc, .mono { font-family: "DejaVu Sans Mono", "SFMono-Regular", Menlo, Consolas, monospace; }
a { color: #0969da; }
.muted { color: var(--muted); } .small { font-size: 12px; }
.help { color: var(--muted); margin: 4px 0 10px; }
.banner { padding: 18px 28px 14px; color: #fff; position: relative; }
.banner.o-validated { background: linear-gradient(90deg, #1a7f37, #2da44e); }
.banner.o-not-validated { background: linear-gradient(90deg, #a40e26, #cf222e); }
.banner.o-infra-error { background: linear-gradient(90deg, #b35900, #e07b00); }
.banner .word { font-size: 30px; font-weight: 800; letter-spacing: .03em; }
.banner .line { margin: 4px 0 10px; font-size: 15px; max-width: 1200px; }
.banner .kvm { position: absolute; right: 28px; top: 18px; opacity: .85; font-size: 12px; }
.banner .facts { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 8px 0 0; font-size: 12.5px; }
.banner .facts div { display: flex; gap: 6px; } .banner dt { opacity: .8; } .banner dd { margin: 0; font-weight: 600; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.chip { padding: 2px 9px; border-radius: 12px; font-size: 12.5px; font-weight: 600; border: 1px solid rgba(255,255,255,.7); }
.chips-note { font-size: 12px; opacity: .85; margin-left: 4px; }
.attention { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 14px; margin: 16px 0 0; }
.callout { flex: 1 1 520px; border: 1px solid; border-left-width: 6px; border-radius: 6px; padding: 2px 14px 6px; font-size: 13.5px; }
.callout h2 { border: 0; margin: 8px 0 4px; font-size: 15px; }
.callout ul { margin: 4px 0; padding-left: 20px; } .callout li { margin: 3px 0; }
.callout.bad { border-color: #cf222e; background: #fff5f5; }
.callout.warn { border-color: #e07b00; background: #fff8ee; }
.hint { color: #6e4b00; font-size: 12.5px; }
.scroll { overflow-x: auto; }
table.matrix { border-collapse: separate; border-spacing: 3px; }
table.matrix thead th { position: sticky; top: 0; background: var(--bg); z-index: 1; vertical-align: top; }
table.matrix thead th.case { vertical-align: bottom; }
table.matrix th.case { text-align: left; font-weight: normal; font-size: 13px; padding: 4px 10px 4px 0; white-space: normal; max-width: 34em; overflow-wrap: anywhere; }
table.matrix thead th.case { color: var(--muted); }
th.col { min-width: 150px; width: 180px; padding: 4px 6px 6px; text-align: center; font-weight: normal; }
table.matrix tbody tr:hover th.case { background: #fff8c5; }
.col-id { font-weight: 700; font-size: 14px; } .col-ver { color: var(--muted); font-size: 12px; }
.col-variants { display: flex; flex-wrap: wrap; justify-content: center; gap: 3px; margin: 4px auto 0; max-width: 170px; }
.vs { font-size: 11px; padding: 0 6px; border-radius: 8px; border: 1px solid var(--line); background: var(--soft); }
.vs.bad { border-color: #cf222e; color: #a40e26; background: #fff0f0; } .vs i { font-style: normal; font-weight: 600; }
td.mc { padding: 0; border-radius: 5px; text-align: center; }
td.mc a.cellbtn { display: block; padding: 4px 8px; color: inherit; text-decoration: none; border-radius: 5px; }
td.mc a.cellbtn:hover, td.mc a.cellbtn:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
td.mc .lbl { display: block; font-weight: 700; font-size: 13px; }
td.mc .oc { display: block; font-size: 11px; opacity: .85; white-space: nowrap; }
td.mc sup, .footnotes sup { font-size: 10px; }
td.mc.unmet { box-shadow: inset 0 0 0 2px #a40e26; }
.bang { color: #a40e26; background: #fff; border-radius: 8px; padding: 0 4px; margin-left: 4px; font-size: 11px; }
${(Object.keys(VERDICT_COLORS) as Verdict[]).map((v) => `.v-${v} { background: ${VERDICT_COLORS[v][0]}; color: ${VERDICT_COLORS[v][1]}; }`).join('\n')}
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 10px 0 4px; font-size: 12.5px; color: var(--muted); }
.sw { display: inline-block; padding: 0 7px; border-radius: 4px; font-weight: 700; font-size: 11.5px; margin-right: 3px; }
.sw.unmet-key { color: #a40e26; box-shadow: inset 0 0 0 2px #a40e26; }
.footnotes { list-style: none; padding: 0; margin: 6px 0; font-size: 12.5px; color: #333; }
.footnotes li { margin: 2px 0; }
table.plain { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
table.plain th, table.plain td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
table.plain th { background: var(--soft); font-weight: 600; }
table.plain tr.differ td { background: #fff8c5; }
td.num { text-align: right; white-space: nowrap; }
td.bar { width: 160px; } td.bar span { display: block; height: 9px; background: #8c959f; border-radius: 3px; min-width: 2px; }
tr.failed td { background: #fff0f0; } tr.failed td.bar span { background: #cf222e; }
.st { display: inline-block; font-size: 11.5px; padding: 0 7px; border-radius: 9px; font-weight: 600; background: #dafbe1; color: #116329; white-space: nowrap; }
.st-patch-failed, .st-build-failed, .st-crashed { background: #ffebe9; color: #a40e26; }
.st-boot-failed, .st-timeout, .st-infra-error { background: #fff1e0; color: #8a4600; }
.tag { display: inline-block; font-size: 11.5px; padding: 0 7px; border-radius: 9px; background: #ddf4ff; color: #0550ae; font-weight: 600; }
.tag.find { background: #ffebe9; color: #a40e26; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 5px; font-weight: 700; font-size: 12px; }
article.cell { border: 1px solid var(--line); border-left: 6px solid #2da44e; border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
article.cell.st-border-patch-failed, article.cell.st-border-build-failed, article.cell.st-border-crashed { border-left-color: #cf222e; }
article.cell.st-border-boot-failed, article.cell.st-border-timeout, article.cell.st-border-infra-error { border-left-color: #e07b00; }
.cellgrid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 28px; }
.cellgrid h4:first-child { margin-top: 0; }
@media (max-width: 1000px) { .cellgrid { grid-template-columns: minmax(0, 1fr); } }
.cellfacts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 13px; }
.cellfacts div { display: contents; } .cellfacts dt { color: var(--muted); } .cellfacts dd { margin: 0; word-break: break-word; }
.error { margin: 10px 0; padding: 8px 12px; border-radius: 6px; background: #fff5f5; border: 1px solid #ffcecb; }
.error.infra { background: #fff8ee; border-color: #ffd8a8; }
pre { margin: 4px 0; padding: 8px 10px; background: #0d1117; color: #e6edf3; border-radius: 6px; font-size: 12px; line-height: 1.4; overflow: auto; max-height: 480px; white-space: pre; }
pre mark { background: #9e6a03; color: #fff; }
pre.ktap, pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
.finding-mini { font-size: 12.5px; margin: 2px 0; } .finding-mini code { color: #a40e26; }
.col-find { margin-top: 3px; font-size: 11px; }
.col-find a { color: #a40e26; font-weight: 600; text-decoration: none; }
pre.ktap .k-fail { color: #ff7b72; font-weight: 700; } pre.ktap .k-pass { color: #7ee787; } pre.ktap .k-skip { color: #a5b1bd; } pre.ktap .k-diag { color: #d2a8ff; }
.trunc { margin: 4px 0; font-size: 12px; color: #8a4600; }
details > summary { cursor: pointer; padding: 3px 0; }
details.case-detail { border-bottom: 1px solid #eaeef2; }
details.case-detail > .detail-body { padding: 6px 0 12px 18px; }
.ktap-block { margin: 8px 0 12px; } .ktap-head { font-size: 13px; }
.loglinks { font-size: 12px; margin-left: 6px; }
.log-slots details.logfile { margin: 2px 0 0; font-size: 12.5px; }
.log-slots details.logfile > summary { padding: 1px 0; }
.expect { margin: 4px 0; padding-left: 18px; } .expect .unmet { color: #a40e26; font-weight: 600; } .expect .met { color: #116329; }
table.outcomes td:nth-child(2) { white-space: nowrap; }
.oc-fail, .oc-error { color: #a40e26; font-weight: 700; } .oc-pass { color: #116329; font-weight: 700; }
.oc-infra-error { color: #8a4600; font-weight: 700; } .oc-flaky { color: #8e44ad; font-weight: 700; } .oc-skip, .oc-missing { color: var(--muted); }
.meaning { margin: 0 0 8px; color: #333; }
dialog#panel { width: min(1100px, 94vw); max-height: 90vh; border: 0; border-radius: 10px; padding: 16px 22px 18px; box-shadow: 0 12px 48px rgba(0,0,0,.35); }
dialog#panel::backdrop { background: rgba(15, 23, 42, .45); }
.panel-close { position: sticky; top: 0; float: right; margin: -4px -8px 0 8px; z-index: 2; }
.panel-close button { border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 3px 10px; cursor: pointer; font: inherit; }
@media print { dialog, script { display: none; } pre { max-height: none; } }
`;

// The matrix links work without JS (they jump to the <details> below);
// with JS they open the same content in a modal panel. "#d-R-C" in the URL
// opens that panel on load, so a link to one cell can be shared.
const SCRIPT = `
(function () {
  'use strict';
  var panel = document.getElementById('panel');
  var body = document.getElementById('panel-body');
  function openDetail(id) {
    var d = document.getElementById(id);
    if (!d || !panel || typeof panel.showModal !== 'function') return false;
    var content = d.querySelector('.detail-body');
    if (!content) return false;
    var copy = content.cloneNode(true);
    copy.querySelectorAll('.log-slot').forEach(function (slot) {
      var log = document.getElementById(slot.getAttribute('data-log'));
      if (!log) return;
      var c = log.cloneNode(true);
      c.removeAttribute('id');
      c.open = false;
      slot.replaceWith(c);
    });
    body.replaceChildren(copy);
    panel.dataset.detail = id;
    if (!panel.open) panel.showModal();
    panel.scrollTop = 0;
    return true;
  }
  function revealLog(id) {
    var t = id && document.getElementById(id);
    if (t && t.tagName === 'DETAILS') t.open = true;
  }
  document.addEventListener('click', function (e) {
    var a = e.target instanceof Element ? e.target.closest('a[data-detail]') : null;
    if (a && openDetail(a.getAttribute('data-detail'))) {
      e.preventDefault();
      history.replaceState(null, '', '#' + a.getAttribute('data-detail'));
      return;
    }
    var link = e.target instanceof Element ? e.target.closest('a[href^="#"]') : null;
    if (link) {
      if (panel.open) panel.close();
      revealLog(link.getAttribute('href').slice(1));
    }
  });
  panel.addEventListener('click', function (e) { if (e.target === panel) panel.close(); });
  panel.addEventListener('close', function () {
    if (location.hash.indexOf('#d-') === 0) history.replaceState(null, '', location.pathname + location.search);
  });
  window.addEventListener('hashchange', function () {
    var id = location.hash.slice(1);
    if (id.indexOf('d-') === 0) openDetail(id); else revealLog(id);
  });
  var start = location.hash.slice(1);
  if (start.indexOf('d-') === 0 && document.getElementById(start)) {
    // Keep the page at the top behind the panel: drop the fragment before
    // the browser scrolls to it, and put it back once loading is done.
    history.replaceState(null, '', location.pathname + location.search);
    openDetail(start);
    window.addEventListener('load', function () {
      setTimeout(function () { if (panel.open) history.replaceState(null, '', '#' + start); }, 0);
    });
  } else {
    revealLog(start);
  }
  document.body.dataset.ready = '1';
})();
`;
