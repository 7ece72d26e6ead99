// reply.txt: what a developer can send to the patch's thread after
// `kvmatrix validate`. Plain text, every line within 80 columns: the headers
// that thread it (In-Reply-To: the patch's Message-ID, "Re: <subject>"), a
// one-line verdict, the compact matrix (each variant per kernel/arch in a few
// words, then the cases worth reading), what the patch stage and the compiler
// said, and a Tested-by: line only when the run validated the patch. Pure.
import type { CellResult, MatrixColumn, RunSummary } from '../results/types.ts';
import { VERDICT_LABEL, columnIdOf, commonSuite, caseLabel } from './common.ts';
import { MAIL_WIDTH, bullet, foldMatrix, foldedLine, oneLine, plainTable, wrap } from './text.ts';
import { cellPatchLines, patchPhrase, patchShort } from './patch-text.ts';

export interface ReplyContext {
  thread: { messageId: string | null; subject: string; from: string | null; date: string | null; archivePage: boolean };
  /** The variants validate made, in order, with what each is ("as posted", "as posted + fixup"). */
  variants: { name: string; label: string }[];
  suites: string[];
  /** What the mail intake set aside or found missing. */
  notes: string[];
  /** "Name <address>" for Tested-by:; null when unknown (a placeholder is written). */
  testedBy: string | null;
}

const W = MAIL_WIDTH;

/** Subject: with folding (RFC 5322: a continuation line starts with a space). */
function headerLines(name: string, value: string): string[] {
  return wrap(`${name}: ${value}`, W, ' ');
}

function cellsOf(run: RunSummary, col: MatrixColumn, variant: string): CellResult[] {
  return run.cells.filter((c) => columnIdOf(c) === col.id && c.variant.name === variant);
}

/** Verdict counts of one variant in one column: what it did to the cases. */
function variantEffect(run: RunSummary, col: MatrixColumn, variant: string): string {
  const cell = cellsOf(run, col, variant)[0];
  const st = col.variants.find((v) => v.variant === variant)?.state ?? 'missing';
  if (cell?.patch && st !== 'ok') return patchShort(cell, st);
  if (st !== 'ok') return st;
  const count = (pred: (base: string | undefined, mine: string | undefined) => boolean) =>
    run.matrix.rows.filter((r) => { const c = r.cells[col.id]; return c !== undefined && pred(c.outcomes.base, c.outcomes[variant]); }).length;
  const fixed = count((b, m) => b === 'fail' && m === 'pass');
  const broke = count((b, m) => (b === 'pass' || b === 'skip') && (m === 'fail' || m === 'crashed'));
  const still = count((b, m) => b === 'fail' && m === 'fail');
  const parts = [fixed > 0 && `fixes ${fixed}`, broke > 0 && `breaks ${broke}`, still > 0 && `${still} still fail`].filter(Boolean);
  const effect = parts.length > 0 ? parts.join(', ') : 'no change';
  return cell ? patchShort(cell, effect) : effect;
}

function baseEffect(run: RunSummary, col: MatrixColumn): string {
  const st = col.variants.find((v) => v.variant === 'base')?.state ?? 'missing';
  if (st !== 'ok') return st;
  const failing = run.matrix.rows.filter((r) => ['fail', 'crashed'].includes(r.cells[col.id]?.outcomes.base ?? '')).length;
  return failing > 0 ? `${failing} fail` : 'all pass';
}

/** Variant by column, a few words each, variants as rows (names last: they can be long). */
function summaryTable(run: RunSummary, ctx: ReplyContext): string[] {
  const cols = run.matrix.columns;
  const label = (v: string) => (v === 'base' ? 'base (unpatched)' : `${v} (${ctx.variants.find((x) => x.name === v)?.label ?? 'variant'})`);
  const names = ['base', ...run.matrix.variants.filter((v) => v !== 'base')];
  const rows = names.map((v) => [...cols.map((col) => (col.variants.some((x) => x.variant === v) ? (v === 'base' ? baseEffect(run, col) : variantEffect(run, col, v)) : '-')), label(v)]);
  return plainTable([...cols.map((c) => `${c.id}${c.version ? ` ${c.version}` : ''}`), ''], rows);
}

/** The one line: the run's answer, said about the patch rather than the matrix. */
export function replyVerdict(run: RunSummary): string {
  if (run.overall.verdict === 'validated') return run.overall.line;
  const patchCells = run.cells.filter((c) => c.patch && c.state !== 'ok');
  // A patch that did not apply or build is the news; one already in every kernel, the run's own line says.
  const first = patchCells.find((c) => c.state !== 'already-present');
  if (first && run.matrix.counts.regressed === 0 && run.overall.unexpected.length === 0) {
    const more = patchCells.length > 1 ? ` (+${patchCells.length - 1} more below)` : '';
    return `NOT VALIDATED: ${first.variant.name} ${patchPhrase(first)} on ${columnIdOf(first)}${more}`;
  }
  return run.overall.line;
}

function casesSection(run: RunSummary): string[] {
  const folded = foldMatrix(run.matrix);
  const suite = commonSuite(run.matrix.rows);
  const verdictIn = (r: (typeof folded.listed)[number], col: string) => { const cell = r.cells[col]; return cell ? VERDICT_LABEL[cell.verdict] : '-'; };
  const body = folded.listed.slice(0, 15).map((r) => [...run.matrix.columns.map((c) => verdictIn(r, c.id)), caseLabel(r.caseId, suite)]);
  const out = body.length > 0 ? plainTable([...run.matrix.columns.map((c) => c.id), `case${suite ? ` (${suite})` : ''}`], body) : [];
  if (folded.listed.length > 15) out.push(`... and ${folded.listed.length - 15} more rows (matrix.md)`);
  const fold = foldedLine(folded);
  if (fold) out.push(...wrap(fold, W, ''));
  return out;
}

function testedOn(run: RunSummary, ctx: ReplyContext): string {
  const kernels = [...new Set(run.cells.map((c) => `${c.kernel.id}${c.kernel.version ? ` (${c.kernel.version})` : ''}`))].join(', ');
  const arches = [...new Set(run.cells.map((c) => c.arch))].join(', ');
  const accel = [...new Set(run.cells.map((c) => c.accel).filter(Boolean))].join('/');
  return `Kernels: ${kernels} on ${arches}, built with the patch where it applies and without, booted in QEMU${accel ? ` (${accel})` : ''}; suites: ${ctx.suites.join(', ')}.`;
}

export function renderReply(run: RunSummary, ctx: ReplyContext): string {
  const t = ctx.thread;
  const out: string[] = [];
  if (t.messageId) out.push(...headerLines('In-Reply-To', t.messageId), ...headerLines('References', t.messageId));
  out.push(...headerLines('Subject', `Re: ${t.subject}`), '');
  if (!t.messageId) out.push(...wrap(`[The input had no Message-ID${t.archivePage ? ' (a web archive page)' : ''}: add In-Reply-To: by hand to thread this reply.]`, W, ''), '');
  out.push(...wrap(oneLine(replyVerdict(run)), W, '  '), '');
  out.push(...wrap(testedOn(run, ctx), W, ''), '');
  out.push(...summaryTable(run, ctx), '');
  const cases = casesSection(run);
  if (cases.length > 0) out.push(...cases, '');
  const patch = run.cells.filter((c) => c.patch && (c.state !== 'ok' || c.patch.state !== 'applied')).flatMap((c) => cellPatchLines(c, W));
  if (patch.length > 0) out.push('What the patch stage and the compiler said:', ...patch, '');
  const blockers = run.overall.verdict === 'validated' ? [] : (run.overall.blockers ?? []).filter((b) => !/: (patch-failed|build-failed)\b/.test(b));
  if (blockers.length > 0) out.push('Also in the way:', ...blockers.slice(0, 6).flatMap((b) => bullet(b, W)), '');
  if (ctx.notes.length > 0) out.push('About the input:', ...ctx.notes.flatMap((n) => bullet(n, W)), '');
  if (run.overall.verdict === 'validated') out.push(...wrap(`Tested-by: ${ctx.testedBy ?? 'Your Name <you@example.org>'}`, W, ' '), '');
  out.push('-- ', ...wrap(`kvmatrix ${run.harnessVersion}, run ${run.runId}: matrix.md and report.html have every case and log`, W, ''));
  return `${out.join('\n')}\n`;
}
