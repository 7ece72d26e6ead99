// Finding a hunk in a file with whitespace and blank lines normalised away:
// what the repair relocates hunks with, and what "does not apply" reports
// as the closest match. Pure.
import { normalizeLine, type Hunk } from './diff.ts';

/** The file's non-blank lines, normalised, with their 0-based line numbers. */
export interface IndexedFile {
  lines: readonly string[];
  norm: string[];
  real: number[];
}

export function indexFile(text: string): IndexedFile {
  const lines = text.split('\n');
  const norm: string[] = [];
  const real: number[] = [];
  lines.forEach((l, i) => {
    const n = normalizeLine(l);
    if (n !== '') {
      norm.push(n);
      real.push(i);
    }
  });
  return { lines, norm, real };
}

/** The hunk's old side (context and removed lines) as the file should have it, blank lines left out. */
export function oldSide(h: Hunk): { norm: string; text: string }[] {
  return h.lines
    .filter((l) => l.kind === 'context' || l.kind === 'remove')
    .map((l) => ({ norm: normalizeLine(l.text), text: l.text.trim() }))
    .filter((l) => l.norm !== '');
}

/** Every index of `ix` where `seq` starts, contiguous over non-blank lines. */
export function occurrences(ix: IndexedFile, seq: readonly string[]): number[] {
  const out: number[] = [];
  if (seq.length === 0) return out;
  for (let s = 0; s + seq.length <= ix.norm.length; s++) {
    let k = 0;
    while (k < seq.length && ix.norm[s + k] === seq[k]) k++;
    if (k === seq.length) out.push(s);
  }
  return out;
}

export interface ClosestMatch {
  /** 1-based line in the file where the best partial match starts. */
  line: number;
  matched: number;
  of: number;
  /** The first line that differs there: what the hunk expects and what the file has. */
  difference?: { line: number; expected: string; found: string };
}

/** Where most of `seq` lines up, line for line (blank lines aside); null for an empty file or hunk. */
export function closestMatch(ix: IndexedFile, seq: readonly { norm: string; text: string }[]): ClosestMatch | null {
  let best: { start: number; matched: number } | null = null;
  for (let s = 0; s < ix.norm.length; s++) {
    let matched = 0;
    for (let k = 0; k < seq.length && s + k < ix.norm.length; k++) if (ix.norm[s + k] === seq[k]?.norm) matched++;
    if (matched > 0 && (!best || matched > best.matched)) best = { start: s, matched };
  }
  if (!best) return null;
  const { start, matched } = best;
  const out: ClosestMatch = { line: (ix.real[start] ?? 0) + 1, matched, of: seq.length };
  const k = seq.findIndex((l, i) => ix.norm[start + i] !== l.norm);
  if (k >= 0) {
    const at = ix.real[start + k];
    out.difference = { line: (at ?? ix.lines.length) + 1, expected: seq[k]?.text ?? '', found: at === undefined ? '(end of file)' : (ix.lines[at] ?? '').trim() };
  }
  return out;
}

export type HunkLocation =
  | { kind: 'unique'; start: number }
  | { kind: 'ambiguous'; lines: number[] }
  | { kind: 'none'; closest: ClosestMatch | null };

/** Where the hunk's old side is in the file: once (the repair uses it), several times (refused), or nowhere. */
export function locateHunk(ix: IndexedFile, h: Hunk): HunkLocation {
  const seq = oldSide(h);
  const at = occurrences(ix, seq.map((l) => l.norm));
  if (at.length === 1) return { kind: 'unique', start: at[0] as number };
  if (at.length > 1) return { kind: 'ambiguous', lines: at.map((s) => (ix.real[s] ?? 0) + 1) };
  return { kind: 'none', closest: closestMatch(ix, seq) };
}

/** "closest match at line 752 (10 of 11 lines; line 757 differs: ...)". */
export function describeClosest(c: ClosestMatch | null): string {
  if (!c) return 'no line of it is in the file';
  const diff = c.difference ? `; at line ${c.difference.line} the hunk expects "${c.difference.expected}", the file has "${c.difference.found}"` : '';
  return `closest match at line ${c.line} (${c.matched} of ${c.of} lines${diff})`;
}
