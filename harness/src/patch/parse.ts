// Patch files as data: a mailbox of git format-patch emails, a single email,
// or a plain diff. Pure: text in, messages out (`git am` semantics for the
// header fields we report: subject, author, date, body).

export interface PatchMessage {
  /** 1-based index within its file. */
  index: number;
  subject: string | null;
  author: string | null;
  date: string | null;
  /** Commit message body (between headers and the first diff/---). */
  body: string;
  /** The text handed to `git apply` (headers included: git apply skips them). */
  text: string;
  /** Files the diff touches, from `--- a/` / `+++ b/` lines. */
  files: string[];
}

const MBOX_SEPARATOR = /^From [0-9a-f]{40} /m;

function header(block: string, name: string): string | null {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t]+.*)*)`, 'mi').exec(block);
  return m?.[1] ? m[1].replace(/\n[ \t]+/g, ' ').trim() : null;
}

export function touchedFiles(diff: string): string[] {
  const files = new Set<string>();
  for (const m of diff.matchAll(/^(?:\+\+\+|---) (?:[ab]\/)?(\S+)/gm)) {
    if (m[1] && m[1] !== '/dev/null') files.add(m[1]);
  }
  for (const m of diff.matchAll(/^diff --git a\/(\S+) b\/(\S+)/gm)) {
    if (m[1]) files.add(m[1]);
    if (m[2]) files.add(m[2]);
  }
  return [...files].sort();
}

function parseOne(text: string, index: number): PatchMessage {
  const headerEnd = text.search(/\n\n/);
  const headers = headerEnd >= 0 ? text.slice(0, headerEnd) : '';
  const rest = headerEnd >= 0 ? text.slice(headerEnd + 2) : text;
  const subject = header(headers, 'Subject')?.replace(/^\[[^\]]*\]\s*/, '') ?? null;
  const diffStart = rest.search(/^(---\s*$|diff --git |--- a\/|Index: )/m);
  return {
    index,
    subject,
    author: header(headers, 'From'),
    date: header(headers, 'Date'),
    body: (diffStart >= 0 ? rest.slice(0, diffStart) : rest).trim(),
    text,
    files: touchedFiles(text),
  };
}

/** Split a patch file into messages (one for a plain diff or a single email). */
export function parsePatchFile(text: string): PatchMessage[] {
  const starts = [...text.matchAll(new RegExp(MBOX_SEPARATOR.source, 'gm'))].map((m) => m.index ?? 0);
  if (starts.length <= 1) return [parseOne(text, 1)];
  const chunks = starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length));
  const out: PatchMessage[] = [];
  // Text before the first separator (a cover note) is not a patch.
  chunks.forEach((c, i) => out.push(parseOne(c.replace(/^From [^\n]*\n/, ''), i + 1)));
  return out;
}

/** `error: patch failed: mm/userfaultfd.c:738` and friends, from git apply's stderr. */
export function summarizeApplyError(stderr: string): { file: string | null; line: number | null; reason: string } {
  const failed = /patch failed: (\S+?):(\d+)/.exec(stderr);
  const corrupt = /corrupt patch at line (\d+)/.exec(stderr);
  const noFile = /(\S+): No such file or directory/.exec(stderr);
  // git apply -v also prints "Checking patch" and the hunk it searched for: the log keeps those.
  const errors = stderr.split('\n').filter((l) => l.startsWith('error: ') && !l.startsWith('error: while searching for')).map((l) => l.slice(7));
  const reason = errors.join('; ') || stderr.trim().split('\n').pop() || 'git apply failed';
  if (failed) return { file: failed[1] ?? null, line: Number(failed[2]), reason };
  if (corrupt) return { file: null, line: Number(corrupt[1]), reason };
  if (noFile) return { file: noFile[1] ?? null, line: null, reason };
  return { file: null, line: null, reason };
}
