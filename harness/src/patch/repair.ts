// Undo what mail archives do to a patch: context lines without their leading
// space, blank context lines dropped, indentation collapsed, counts that no
// longer add up. Each hunk is located in the target file with whitespace and
// blank lines normalised (locate.ts) and rebuilt from the file's own lines:
// context and removed lines are copied from the tree, blank lines between
// them come back as context, added lines get an indentation guessed from
// their neighbours. A hunk found nowhere, found more than once, or found only
// in part is refused: the repair never guesses where a change goes. Pure.
import { filePath, formatHunk, normalizeLine, type FileDiff, type Hunk, type HunkLine, type ParsedDiff } from './diff.ts';
import { describeClosest, indexFile, locateHunk, type ClosestMatch, type IndexedFile } from './locate.ts';

export interface HunkRepair {
  file: string;
  /** 1-based hunk number within the file diff. */
  hunk: number;
  header: string;
  /** The hunk's header after the repair. */
  repairedHeader: string;
  /** What the repair changed, for the record. */
  note: string;
}

export interface RepairRefusal {
  file: string;
  hunk: number;
  header: string;
  reason: 'no-match' | 'ambiguous' | 'no-file' | 'overlap' | 'no-context' | 'repeated-file';
  /** One line for a reader: where the hunk was looked for and what was found. */
  message: string;
  closest?: ClosestMatch | null;
}

export type RepairResult =
  | { ok: true; text: string; hunks: HunkRepair[] }
  | { ok: false; refusal: RepairRefusal };

const indentOf = (s: string) => /^[ \t]*/.exec(s)?.[0] ?? '';
const CONTROL = /^(?:(?:if|for|while|else\s+if)\s*\(.*\)|else|do)$/;
const dedent = (ws: string) => (ws.endsWith('\t') ? ws.slice(0, -1) : ws.replace(/ {1,8}$/, ''));

/** The new-side lines emitted so far, last first, blank ones skipped. */
function newSideBefore(out: readonly HunkLine[]): string[] {
  return out.filter((l) => (l.kind === 'context' || l.kind === 'add') && l.text.trim() !== '').map((l) => l.text).reverse();
}

/**
 * Indentation for an added line whose own was lost, from C's shape: comment
 * continuations follow their `/*`, a line after `{` or an unbraced `if (...)`
 * goes one deeper, the statement after such a body goes back, else the
 * removed line it replaces or the next line of the file sets it.
 */
export function guessIndent(text: string, out: readonly HunkLine[], paired: string | undefined, nextOld: string | undefined): string {
  const t = text.trim();
  if (t === '') return '';
  const [prev, before] = newSideBefore(out);
  const p = prev?.trim() ?? '';
  if (prev !== undefined && t.startsWith('*') && (p.startsWith('/*') || p.startsWith('*')) && !p.endsWith('*/')) {
    return `${indentOf(prev)}${p.startsWith('/*') ? ' ' : ''}${t}`;
  }
  if (prev !== undefined && t.startsWith('}')) return `${p.endsWith('{') ? indentOf(prev) : dedent(indentOf(prev))}${t}`;
  if (prev !== undefined && (p.endsWith('{') || CONTROL.test(p))) return `${indentOf(prev)}\t${t}`;
  if (prev !== undefined && before !== undefined && CONTROL.test(before.trim()) && p.endsWith(';')) return `${indentOf(before)}${t}`;
  if (paired !== undefined) return `${indentOf(paired)}${t}`;
  return `${indentOf(nextOld ?? prev ?? '')}${t}`;
}

interface Rebuilt {
  lines: HunkLine[];
  /** 0-based first and last file line the hunk covers. */
  first: number;
  last: number;
  blanksRestored: number;
  reindented: number;
}

/** Lines of the file between two matched old-side lines: blank ones, back as context (or removed, if the hunk removed a blank). */
function gap(ix: IndexedFile, from: number, to: number, out: HunkLine[], pendingBlankRemovals: { n: number }): number {
  let restored = 0;
  for (let r = from + 1; r < to; r++) {
    if (pendingBlankRemovals.n > 0) {
      pendingBlankRemovals.n--;
      out.push({ kind: 'remove', text: ix.lines[r] ?? '' });
    } else {
      out.push({ kind: 'context', text: ix.lines[r] ?? '' });
      restored++;
    }
  }
  return restored;
}

/** The hunk rebuilt on the file's own lines, its old side starting at non-blank index `start`. */
function rebuild(ix: IndexedFile, h: Hunk, start: number, keepIndent: boolean): Rebuilt {
  const out: HunkLine[] = [];
  const pending = { n: 0 };
  let k = 0;
  let prevReal: number | null = null;
  let block: string[] = [];
  let addsInBlock = 0;
  let blanksRestored = 0;
  let reindented = 0;
  for (const l of h.lines) {
    if (l.kind === 'no-newline') { out.push(l); continue; }
    if (l.kind === 'add') {
      const nextOld = h.lines.slice(h.lines.indexOf(l) + 1).some((x) => x.kind !== 'add' && normalizeLine(x.text) !== '') ? ix.lines[ix.real[start + k] ?? -1] : undefined;
      // A tab (or two spaces) at the start proves the line kept its indentation: archives collapse them to one space.
      const text = keepIndent || /^(\t| {2})/.test(l.text) ? l.text : guessIndent(l.text, out, block[addsInBlock], nextOld);
      if (text !== l.text) reindented++;
      addsInBlock++;
      out.push({ kind: 'add', text });
      continue;
    }
    if (addsInBlock > 0 || l.kind === 'context') { block = []; addsInBlock = 0; }
    if (normalizeLine(l.text) === '') {
      if (l.kind === 'remove') pending.n++;
      continue;
    }
    const real = ix.real[start + k++] as number;
    if (prevReal !== null) blanksRestored += gap(ix, prevReal, real, out, pending);
    out.push({ kind: l.kind, text: ix.lines[real] ?? '' });
    if (l.kind === 'remove') block.push(ix.lines[real] ?? '');
    prevReal = real;
  }
  return { lines: out, first: ix.real[start] as number, last: prevReal ?? (ix.real[start] as number), blanksRestored, reindented };
}

function refuse(file: string, n: number, header: string, reason: RepairRefusal['reason'], message: string, closest?: ClosestMatch | null): RepairResult {
  return { ok: false, refusal: { file, hunk: n, header, reason, message: `${file} hunk ${n} (${header.replace(/ @@.*$/, ' @@')}): ${message}`, ...(closest !== undefined ? { closest } : {}) } };
}

function addedOnly(h: Hunk): boolean {
  return h.lines.every((l) => l.kind === 'add' || l.kind === 'no-newline' || normalizeLine(l.text) === '');
}

/** One file diff repaired against the file's current text (null: the file does not exist). */
export function repairFileDiff(fd: FileDiff, fileText: string | null): { ok: true; lines: string[]; hunks: HunkRepair[] } | { ok: false; result: RepairResult } {
  const file = filePath(fd);
  const keepIndent = !fd.hunks.some((h) => h.lines.some((l) => l.unprefixed));
  const header = fd.headerLines.length > 0 ? fd.headerLines : [`--- a/${file}`, `+++ b/${file}`];
  const out = [...header];
  const hunks: HunkRepair[] = [];
  if (fileText === null) {
    // A new file: nothing to locate; its lines are all additions, counts recomputed.
    if (fd.oldPath !== null) return { ok: false, result: refuse(file, 1, fd.hunks[0]?.header ?? '@@', 'no-file', 'the file is not in this tree') };
    fd.hunks.forEach((h, i) => {
      const lines = formatHunk({ oldStart: 0, newStart: 1, section: h.section, lines: h.lines.filter((l) => l.kind === 'add' || l.kind === 'no-newline') });
      out.push(...lines);
      hunks.push({ file, hunk: i + 1, header: h.header, repairedHeader: lines[0] as string, note: 'new file: line counts recomputed' });
    });
    return { ok: true, lines: out, hunks };
  }
  const ix = indexFile(fileText);
  let delta = 0;
  let lastLine = -1;
  for (const [i, h] of fd.hunks.entries()) {
    const n = i + 1;
    if (addedOnly(h)) return { ok: false, result: refuse(file, n, h.header, 'no-context', 'it has no context or removed line to locate it by') };
    const where = locateHunk(ix, h);
    if (where.kind === 'ambiguous') return { ok: false, result: refuse(file, n, h.header, 'ambiguous', `matches at lines ${where.lines.join(', ')} with whitespace normalised: refusing to guess`) };
    if (where.kind === 'none') return { ok: false, result: refuse(file, n, h.header, 'no-match', `not found even with whitespace and blank lines normalised: ${describeClosest(where.closest)}`, where.closest) };
    const r = rebuild(ix, h, where.start, keepIndent);
    if (r.first <= lastLine) return { ok: false, result: refuse(file, n, h.header, 'overlap', `found at line ${r.first + 1}, inside the previous hunk`) };
    const oldStart = r.first + 1;
    const lines = formatHunk({ oldStart, newStart: oldStart + delta, section: h.section, lines: r.lines });
    delta += r.lines.filter((l) => l.kind === 'add').length - r.lines.filter((l) => l.kind === 'remove').length;
    lastLine = r.last;
    out.push(...lines);
    const what = [r.blanksRestored > 0 && `${r.blanksRestored} blank context line(s) restored`, r.reindented > 0 && `${r.reindented} added line(s) re-indented`].filter(Boolean).join(', ');
    hunks.push({ file, hunk: n, header: h.header, repairedHeader: lines[0] as string, note: `found at lines ${oldStart}-${r.last + 1} with whitespace normalised${what ? `; ${what}` : ''}` });
  }
  return { ok: true, lines: out, hunks };
}

/** The whole diff repaired against the tree (`read` gives a file's current text, null when absent). */
export function repairDiff(parsed: ParsedDiff, read: (path: string) => string | null): RepairResult {
  const out: string[] = [];
  const hunks: HunkRepair[] = [];
  const seen = new Set<string>();
  for (const fd of parsed.files) {
    const file = filePath(fd);
    if (seen.has(file)) {
      return refuse(file, 1, fd.hunks[0]?.header ?? '@@', 'repeated-file',
        'the message holds a second diff of this file (two patches in one message?): split it into its patches');
    }
    seen.add(file);
    const r = repairFileDiff(fd, fd.oldPath === null ? null : read(fd.oldPath));
    if (!r.ok) return r.result;
    out.push(...r.lines);
    hunks.push(...r.hunks);
  }
  return { ok: true, text: `${out.join('\n')}\n`, hunks };
}
