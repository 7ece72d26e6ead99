// The patches one message carries: its own diff (a patch mail, or, on an
// archive page of a reply, the patch it quotes with the quote marks lost),
// and whole `git format-patch` mails pasted into its body ("From <sha> Mon
// Sep 17 00:00:00 2001", as the seed's "fixup:" is). Pure.
import { parseDiff } from '../patch/diff.ts';
import { FROM_LINE, looseHeaders, type MailMessage } from './message.ts';
import { parseSubject, type SubjectInfo } from './subject.ts';

export interface MailPatch {
  subject: SubjectInfo;
  from: string | null;
  date: string | null;
  /** Its own Message-ID (an embedded patch has none). */
  messageId: string | null;
  /** The commit message: text before the diff. */
  description: string;
  /** The diff as posted: archive mangling is kept, the patch stage decides what it can do with it. */
  diff: string;
  /** Its own mail; quoted in a reply (archive pages lose the "> "); or pasted into another mail. */
  origin: 'message' | 'quoted' | 'embedded';
  /** "seed.eml.txt", "thread.mbox message 3, embedded patch 1". */
  source: string;
  /** The message it was found in. */
  host: MailMessage;
}

const DIFF_START = /^(?:diff --git |--- (?:a\/|\/dev\/null))/;

/** Description and diff of one body: the diff runs from its first header to where the hunks end (prose or a signature follows). */
export function splitBody(body: string): { description: string; diff: string } | null {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((l, i) => DIFF_START.test(l) && (l.startsWith('diff') || (lines[i + 1] ?? '').startsWith('+++ ')));
  if (start < 0) return null;
  const rest = lines.slice(start);
  const parsed = parseDiff(rest.join('\n'));
  if (parsed.files.length === 0) return null;
  let descEnd = start;
  // format-patch puts "---" and a diffstat between the message and the diff.
  const sep = lines.slice(0, start).lastIndexOf('---');
  if (sep >= 0) descEnd = sep;
  const description = lines.slice(0, descEnd)
    .filter((l) => !/^On .+ wrote:\s*$/.test(l))
    .join('\n').trim();
  return { description, diff: `${rest.slice(0, parsed.end).join('\n').replace(/\n+$/, '')}\n` };
}

/** A pasted format-patch mail: loose headers (archives lose the fold's indentation), then the body. */
function embeddedPatch(text: string, host: MailMessage, n: number): MailPatch | null {
  const lines = text.split('\n');
  const { headers, bodyStart } = looseHeaders(lines);
  const parts = splitBody(lines.slice(bodyStart).join('\n'));
  if (!parts) return null;
  return {
    subject: parseSubject(headers.get('subject') ?? ''), from: headers.get('from') ?? host.from, date: headers.get('date') ?? null,
    messageId: null, ...parts, origin: 'embedded', source: `${host.source}, embedded patch ${n}`, host,
  };
}

/** Every patch in `m`: its own (if its body has a diff before any pasted mail), then the pasted ones. */
export function patchesOf(m: MailMessage): MailPatch[] {
  const lines = m.body.replace(/\r\n/g, '\n').split('\n');
  const cuts = lines.flatMap((l, i) => (FROM_LINE.test(l) ? [i] : []));
  const hostText = lines.slice(0, cuts[0] ?? lines.length).join('\n');
  const out: MailPatch[] = [];
  const own = splitBody(hostText);
  const subject = parseSubject(m.subject ?? '');
  if (own) {
    out.push({ subject, from: m.from, date: m.date, messageId: m.messageId, ...own, origin: subject.reply ? 'quoted' : 'message', source: m.source, host: m });
  }
  cuts.forEach((c, k) => {
    const p = embeddedPatch(lines.slice(c + 1, cuts[k + 1] ?? lines.length).join('\n'), m, k + 1);
    if (p) out.push(p);
  });
  return out;
}
