// A unified diff as data, read tolerantly: besides what `git apply` reads, it
// accepts the diffs mail archives mangle (context lines that lost their
// leading space, blank context lines dropped, hunk counts that no longer add
// up) and says so (`mangled`). Pure: text in, structure out, never throws.
// The repair (repair.ts) and the already-present check (present.ts) work on
// this structure; `git apply` still does every real application.

export type HunkLineKind = 'context' | 'add' | 'remove' | 'no-newline';

export interface HunkLine {
  kind: HunkLineKind;
  /** The line without its diff prefix. */
  text: string;
  /** The line had no diff prefix at all: a context line whose leading space was lost. */
  unprefixed?: boolean;
}

export interface Hunk {
  /** The `@@ -a,b +c,d @@ section` line as written. */
  header: string;
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** The text after the second `@@` (the function the hunk is in, for readers). */
  section: string;
  lines: HunkLine[];
  /** 1-based line of the header in the input. */
  at: number;
}

export interface FileDiff {
  /** Tree-relative paths ("a/"/"b/" stripped); null for /dev/null. */
  oldPath: string | null;
  newPath: string | null;
  /** `diff --git`, `index`, mode and `---`/`+++` lines, as written. */
  headerLines: string[];
  hunks: Hunk[];
  /** 1-based line of the first header line in the input. */
  at: number;
}

export interface ParsedDiff {
  files: FileDiff[];
  /** Some hunk lost its context prefixes or its counts do not add up: what archives do to a patch. */
  mangled: boolean;
  /** 0-based index of the first input line after the diff (where mail text or a signature resumes). */
  end: number;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
const EXTENDED_HEADER = /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files )/;

function stripPrefix(path: string): string | null {
  const p = path.split('\t')[0]?.trim() ?? '';
  if (p === '/dev/null') return null;
  return p.replace(/^[ab]\//, '');
}

/** A line that starts a file's diff: `diff --git`, or `--- x` directly followed by `+++ y`. */
function startsFile(lines: readonly string[], i: number): boolean {
  const l = lines[i] ?? '';
  return l.startsWith('diff --git ') || (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ '));
}

/** `-- ` (or `--` once an archive trimmed it) before a git version or the end: the mail signature. */
function isSignature(lines: readonly string[], i: number): boolean {
  if (!/^-- ?$/.test(lines[i] ?? '')) return false;
  const next = lines[i + 1];
  return next === undefined || next.trim() === '' || /^\d+\.\d+/.test(next);
}

function prefixed(line: string | undefined): boolean {
  return line !== undefined && /^[ +\\-]/.test(line) && !/^-- ?$/.test(line);
}

interface HunkRead {
  hunk: Hunk;
  next: number;
  /** The diff ended inside this hunk (prose or a signature followed). */
  ended: boolean;
}

/** Read the hunk whose header is at `i`. */
function readHunk(lines: readonly string[], i: number): HunkRead {
  const m = HUNK_HEADER.exec(lines[i] ?? '') as RegExpExecArray;
  const hunk: Hunk = {
    header: lines[i] as string, oldStart: Number(m[1]), oldCount: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]), newCount: m[4] === undefined ? 1 : Number(m[4]), section: m[5] ?? '', lines: [], at: i + 1,
  };
  let oldSeen = 0;
  let newSeen = 0;
  let j = i + 1;
  for (; j < lines.length; j++) {
    const l = lines[j] as string;
    const complete = oldSeen >= hunk.oldCount && newSeen >= hunk.newCount;
    if (HUNK_HEADER.test(l) || startsFile(lines, j)) return { hunk, next: j, ended: false };
    if (isSignature(lines, j)) return { hunk, next: j, ended: true };
    if (l === '') {
      // A blank context line whose space a mailer trimmed, if the hunk goes on; else the diff is over.
      if (complete || !prefixed(lines[j + 1])) return { hunk, next: j, ended: !HUNK_HEADER.test(lines[j + 1] ?? '') && !startsFile(lines, j + 1) };
      hunk.lines.push({ kind: 'context', text: '' });
      oldSeen++; newSeen++;
      continue;
    }
    const c = l[0];
    if (c === '\\') { hunk.lines.push({ kind: 'no-newline', text: l }); continue; }
    if (complete && (c === '+' || c === '-' || c === ' ')) return { hunk, next: j, ended: true };
    if (c === '+') { hunk.lines.push({ kind: 'add', text: l.slice(1) }); newSeen++; continue; }
    if (c === '-') { hunk.lines.push({ kind: 'remove', text: l.slice(1) }); oldSeen++; continue; }
    if (c === ' ') { hunk.lines.push({ kind: 'context', text: l.slice(1) }); oldSeen++; newSeen++; continue; }
    // No prefix: a context line an archive stripped, while the hunk still owes lines; else prose.
    if (complete) return { hunk, next: j, ended: true };
    hunk.lines.push({ kind: 'context', text: l, unprefixed: true });
    oldSeen++; newSeen++;
  }
  return { hunk, next: j, ended: true };
}

/** Read the file diff whose first header line is at `i`. */
function readFile(lines: readonly string[], i: number): { file: FileDiff; next: number; ended: boolean } {
  const file: FileDiff = { oldPath: null, newPath: null, headerLines: [], hunks: [], at: i + 1 };
  let j = i;
  const git = /^diff --git a\/(\S+) b\/(\S+)/.exec(lines[j] ?? '');
  if (git) {
    file.oldPath = git[1] ?? null;
    file.newPath = git[2] ?? null;
    file.headerLines.push(lines[j++] as string);
    while (j < lines.length && EXTENDED_HEADER.test(lines[j] as string)) file.headerLines.push(lines[j++] as string);
    if ((lines[j - 1] ?? '').startsWith('new file mode')) file.oldPath = null;
    if ((lines[j - 1] ?? '').startsWith('deleted file mode')) file.newPath = null;
  }
  if ((lines[j] ?? '').startsWith('--- ') && (lines[j + 1] ?? '').startsWith('+++ ')) {
    file.oldPath = stripPrefix((lines[j] as string).slice(4));
    file.newPath = stripPrefix((lines[j + 1] as string).slice(4));
    file.headerLines.push(lines[j] as string, lines[j + 1] as string);
    j += 2;
  }
  while (j < lines.length && HUNK_HEADER.test(lines[j] as string)) {
    const r = readHunk(lines, j);
    file.hunks.push(r.hunk);
    j = r.next;
    if (r.ended) return { file, next: j, ended: true };
  }
  return { file, next: j, ended: false };
}

function hunkMangled(h: Hunk): boolean {
  const old = h.lines.filter((l) => l.kind === 'context' || l.kind === 'remove').length;
  const neu = h.lines.filter((l) => l.kind === 'context' || l.kind === 'add').length;
  return h.lines.some((l) => l.unprefixed) || old !== h.oldCount || neu !== h.newCount;
}

/** Every file diff in `text` (mail headers, commit message and signature around it are skipped). */
export function parseDiff(text: string): ParsedDiff {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const files: FileDiff[] = [];
  let end = 0;
  for (let i = 0; i < lines.length;) {
    if (!startsFile(lines, i)) { i++; continue; }
    const r = readFile(lines, i);
    if (r.file.hunks.length > 0 || r.file.headerLines.some((l) => EXTENDED_HEADER.test(l))) files.push(r.file);
    i = Math.max(r.next, i + 1);
    end = i;
  }
  return { files, mangled: files.some((f) => f.hunks.some(hunkMangled)), end };
}

/** The path a file diff changes (its new path, or the old one for a deletion). */
export function filePath(f: FileDiff): string {
  return f.newPath ?? f.oldPath ?? '';
}

/** Whitespace-insensitive form of a line: the key the repair and the present check match on. */
export function normalizeLine(line: string): string {
  return line.replace(/\s+/g, '');
}

/** The hunk written back as diff text, counts recomputed from its lines. */
export function formatHunk(h: Pick<Hunk, 'oldStart' | 'newStart' | 'section' | 'lines'>): string[] {
  const oldCount = h.lines.filter((l) => l.kind === 'context' || l.kind === 'remove').length;
  const newCount = h.lines.filter((l) => l.kind === 'context' || l.kind === 'add').length;
  const range = (start: number, count: number) => `${start}${count === 1 ? '' : `,${count}`}`;
  const header = `@@ -${range(h.oldStart, oldCount)} +${range(h.newStart, newCount)} @@${h.section ? ` ${h.section}` : ''}`;
  const prefix: Record<HunkLineKind, string> = { context: ' ', add: '+', remove: '-', 'no-newline': '' };
  return [header, ...h.lines.map((l) => `${prefix[l.kind]}${l.text}`)];
}
