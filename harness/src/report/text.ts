// Plain text for 80-column mail, shared by matrix.md and reply.txt: word
// wrap, tables whose fixed columns come first and whose free text (a case
// name, a cell id) comes last and wraps, and the matrix folded to what a
// reader must see (all-pass rows become a count). Pure.
import type { MatrixRow, MatrixTable, Verdict } from '../results/types.ts';
import { cleanText } from './common.ts';

export const MAIL_WIDTH = 80;

export function oneLine(text: string): string {
  return cleanText(text).replace(/\s*\n\s*/g, ' ').trim();
}

const width = (s: string) => [...s].length;

/** Greedy word wrap; a word longer than the width is cut into pieces that fit. */
export function wrap(text: string, max: number, indent: string): string[] {
  const words = text.split(' ').filter((w) => w !== '').flatMap((w) => {
    const room = Math.max(8, max - width(indent));
    const chars = [...w];
    if (chars.length <= room) return [w];
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += room) parts.push(chars.slice(i, i + room).join(''));
    return parts;
  });
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line === '') line = lines.length === 0 ? w : `${indent}${w}`;
    else if (width(line) + 1 + width(w) <= max) line += ` ${w}`;
    else {
      lines.push(line);
      line = `${indent}${w}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function bullet(text: string, max = MAIL_WIDTH): string[] {
  return wrap(`- ${oneLine(text)}`, max, '  ');
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/**
 * A table for fixed-width text: short columns first, padded; the last column
 * (free text) wraps under itself, never cut inside a word: the columns close
 * up to one space if that makes its longest word fit, and when even that
 * leaves too little room, the free text goes on its own line(s) with the
 * short columns under it, indented.
 */
export function plainTable(header: readonly string[], rows: readonly (readonly string[])[], max = MAIL_WIDTH): string[] {
  const fixed = header.length - 1;
  const widths = Array.from({ length: fixed }, (_, i) => Math.max(width(header[i] ?? ''), ...rows.map((r) => width(r[i] ?? ''))));
  const longestWord = Math.max(0, ...[header, ...rows].flatMap((r) => oneLine(r[fixed] ?? '').split(' ').map(width)));
  for (const gap of [2, 1]) {
    const lead = widths.reduce((a, w) => a + w + gap, 0);
    const room = max - lead;
    if (room < Math.max(16, longestWord)) continue;
    const cols = (r: readonly string[]) => widths.map((w, i) => pad(r[i] ?? '', w + gap)).join('');
    const line = (r: readonly string[]) => {
      const [first = '', ...more] = wrap(oneLine(r[fixed] ?? ''), room, '');
      return [`${cols(r)}${first}`.trimEnd(), ...more.map((m) => `${' '.repeat(lead)}${m}`)];
    };
    return [...line(header), ...rows.flatMap(line)];
  }
  const cols = (r: readonly string[]) => widths.map((w, i) => pad(r[i] ?? '', w + 2)).join('');
  const line = (r: readonly string[]) => [...wrap(oneLine(r[fixed] ?? ''), max, '    '), `  ${cols(r)}`.trimEnd()];
  return [...line(header), ...rows.flatMap(line)];
}

/** Verdicts that make a row worth listing, most telling first: what changed or surprised leads. */
const LEAD: readonly Verdict[] = ['regressed', 'flaky', 'fixed', 'lost', 'crashed', 'missing', 'infra-error', 'still-failing', 'fail'];

export interface FoldedMatrix {
  /** Rows with something to say (not pass/skip, or not what the config expects), most telling first. */
  listed: MatrixRow[];
  /** Rows that pass in every column that has them. */
  passEverywhere: number;
  /** Rows that pass where they ran and skip elsewhere (the skip notes say why). */
  passOrSkip: number;
}

function rank(row: MatrixRow): number {
  const cells = Object.values(row.cells);
  if (cells.some((c) => c.expected?.some((e) => !e.met))) return -1;
  const ranks = cells.map((c) => LEAD.indexOf(c.verdict)).filter((i) => i >= 0);
  return ranks.length > 0 ? Math.min(...ranks) : LEAD.length;
}

export function foldMatrix(m: MatrixTable): FoldedMatrix {
  const listed: MatrixRow[] = [];
  let passEverywhere = 0;
  let passOrSkip = 0;
  for (const row of m.rows) {
    const cells = Object.values(row.cells);
    if (rank(row) < LEAD.length) listed.push(row);
    else if (cells.every((c) => c.verdict === 'pass')) passEverywhere++;
    else passOrSkip++;
  }
  // Stable: rows of equal rank keep the matrix's order.
  listed.sort((a, b) => rank(a) - rank(b));
  return { listed, passEverywhere, passOrSkip };
}

/** "61 cases pass everywhere; 12 more pass where they run and skip elsewhere (not listed)." */
export function foldedLine(f: FoldedMatrix): string {
  const parts = [
    f.passEverywhere > 0 && `${f.passEverywhere} case${f.passEverywhere === 1 ? ' passes' : 's pass'} everywhere`,
    f.passOrSkip > 0 && `${f.passOrSkip}${f.passEverywhere > 0 ? ' more' : ''} case${f.passOrSkip === 1 ? ' passes where it runs and skips' : 's pass where they run and skip'} elsewhere`,
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')}${f.listed.length > 0 ? ' (not listed)' : ''}.` : '';
}
