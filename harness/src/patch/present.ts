// Is the change already in the tree? A patch that does not apply because the
// kernel already has it (a backport, or the upstream commit itself) must say
// so rather than "does not apply": its added lines are found together in the
// file and none of its removed lines is left there. "In a later form" when
// most (two thirds) of the added lines are there and the rest were reworked
// since, as upstream code keeps moving. Whitespace-insensitive, so it also
// reads archive-mangled diffs. Pure.
import { filePath, normalizeLine, type Hunk, type ParsedDiff } from './diff.ts';
import { indexFile, type IndexedFile } from './locate.ts';

export type Presence = 'present' | 'later-form' | 'absent';

export interface HunkPresence {
  file: string;
  hunk: number;
  presence: Presence;
  /** 1-based line where the added lines were found, when any were. */
  line: number | null;
  addedFound: number;
  addedTotal: number;
  /** Removed lines still in the file near there. */
  removedLeft: number;
  /** Added lines not found (what changed since, for "later form"). */
  missing: string[];
}

export interface DiffPresence {
  presence: Presence;
  hunks: HunkPresence[];
}

/** Lines too common to say anything alone ("}", "*\/", "else", "ret;") do not count. */
function significant(norm: string): boolean {
  return norm.length >= 6 && !/^[*/{}();]+$/.test(norm);
}

function positions(ix: IndexedFile): Map<string, number[]> {
  const at = new Map<string, number[]>();
  ix.norm.forEach((n, i) => at.set(n, [...(at.get(n) ?? []), i]));
  return at;
}

/** The densest place in the file for `wanted` lines: how many of them occur within `span` non-blank lines of one another. */
function densest(at: Map<string, number[]>, wanted: readonly string[], span: number): { found: string[]; from: number; to: number } {
  let best = { found: [] as string[], from: -1, to: -1 };
  for (const anchor of wanted.flatMap((w) => at.get(w) ?? [])) {
    const found: string[] = [];
    let from = anchor;
    let to = anchor;
    for (const w of wanted) {
      const near = (at.get(w) ?? []).filter((p) => p >= anchor && p <= anchor + span);
      if (near.length === 0) continue;
      found.push(w);
      from = Math.min(from, ...near);
      to = Math.max(to, ...near);
    }
    if (found.length > best.found.length) best = { found, from, to };
  }
  return best;
}

export function hunkPresence(ix: IndexedFile, file: string, n: number, h: Hunk, at = positions(ix)): HunkPresence {
  const norm = (kind: string) => h.lines.filter((l) => l.kind === kind).map((l) => normalizeLine(l.text));
  const added = norm('add');
  const removed = norm('remove');
  const context = new Set(norm('context'));
  // A line the hunk both removes and adds (moved, or re-indented) says nothing either way.
  const addedSig = [...new Set(added.filter((a) => significant(a) && !removed.includes(a)))];
  const removedSig = [...new Set(removed.filter((r) => significant(r) && !added.includes(r) && !context.has(r)))];
  const span = 2 * h.lines.length + 10;
  const base = { file, hunk: n, addedTotal: addedSig.length };
  if (addedSig.length === 0) return { ...base, presence: 'absent', line: null, addedFound: 0, removedLeft: removedSig.length, missing: [] };
  const best = densest(at, addedSig, span);
  const lo = best.from - span;
  const hi = best.to + span;
  const removedLeft = best.found.length === 0 ? removedSig.length : removedSig.filter((r) => (at.get(r) ?? []).some((p) => p >= lo && p <= hi)).length;
  const missing = h.lines.filter((l) => l.kind === 'add' && addedSig.includes(normalizeLine(l.text)) && !best.found.includes(normalizeLine(l.text))).map((l) => l.text.trim());
  const found = best.found.length;
  let presence: Presence = 'absent';
  if (removedLeft === 0 && found === addedSig.length) presence = 'present';
  else if (removedLeft === 0 && addedSig.length >= 3 && found * 3 >= addedSig.length * 2) presence = 'later-form';
  return { ...base, presence, line: found > 0 ? (ix.real[best.from] ?? 0) + 1 : null, addedFound: found, removedLeft, missing };
}

/** Every hunk of the diff against the tree; the diff is present when every hunk is. */
export function diffPresence(parsed: ParsedDiff, read: (path: string) => string | null): DiffPresence {
  const hunks: HunkPresence[] = [];
  for (const fd of parsed.files) {
    const file = filePath(fd);
    const text = read(file);
    if (text === null) {
      // A file the patch deletes is "present" when it is gone; one it changes or creates is not.
      fd.hunks.forEach((_, i) => hunks.push({ file, hunk: i + 1, presence: fd.newPath === null ? 'present' : 'absent', line: null, addedFound: 0, addedTotal: 0, removedLeft: 0, missing: [] }));
      continue;
    }
    const ix = indexFile(text);
    const at = positions(ix);
    fd.hunks.forEach((h, i) => hunks.push(hunkPresence(ix, file, i + 1, h, at)));
  }
  let presence: Presence = 'absent';
  if (hunks.length > 0 && hunks.every((h) => h.presence === 'present')) presence = 'present';
  else if (hunks.length > 0 && hunks.every((h) => h.presence !== 'absent')) presence = 'later-form';
  return { presence, hunks };
}

/** "mm/userfaultfd.c:913: 8 of 11 added lines, none of the removed ones left". */
export function describePresence(h: HunkPresence): string {
  const where = `${h.file}${h.line !== null ? `:${h.line}` : ''}`;
  const differs = h.missing.length > 0 ? `; reworked since: ${h.missing.map((m) => `"${m}"`).join(', ')}` : '';
  return `${where}: ${h.addedFound} of ${h.addedTotal} added lines there, none of the removed ones left${differs}`;
}
