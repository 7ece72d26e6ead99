// Mail as it reaches a developer: an mbox (git format-patch output, a b4
// .mbx, a whole thread from an archive), one RFC 822 message (.eml), or a
// web archive's page of one message (a subject line, "From:" and "Date:"
// lines, the body with its formatting mangled). MIME (quoted-printable,
// base64, charsets, encoded headers, attached patches) is postal-mime's job.
// Pure: text in, messages out.
import PostalMime, { type Address } from 'postal-mime';

export interface MailMessage {
  /** Where it came from: "seed.eml.txt", "thread.mbox message 3". */
  source: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string | null;
  from: string | null;
  date: string | null;
  /** The decoded plain-text body, attached diffs appended. */
  body: string;
  /** A web archive's page: no Message-ID, and whitespace that cannot be trusted. */
  archivePage: boolean;
}

export type InputKind = 'mbox' | 'mail' | 'archive-page' | 'diff' | 'unknown';

/** A `From ` line that starts a message in an mbox: "From <sha> Mon Sep 17 00:00:00 2001", "From mboxrd@z Thu Jan  1 00:00:00 1970". */
export const FROM_LINE = /^From \S+\s+\w{3} \w{3}\s+\d{1,2} \d\d:\d\d:\d\d \d{4}\s*$/;
const HEADER = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;
const DIFF_START = /^(?:diff --git |--- (?:a\/|\/dev\/null))/m;

export function inputKind(text: string): InputKind {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const first = lines.find((l) => l.trim() !== '') ?? '';
  if (FROM_LINE.test(first)) return 'mbox';
  if (/^(?:diff --git |--- |Index: )/.test(first)) return 'diff';
  const headerBlock = lines.slice(0, Math.max(0, lines.indexOf(''))).join('\n');
  if (HEADER.test(first) && /^(?:subject|from|message-id):/im.test(headerBlock)) return 'mail';
  const top = lines.slice(0, 8);
  if (top.some((l) => /^From: /.test(l)) && top.some((l) => /^Date: /.test(l))) return 'archive-page';
  return DIFF_START.test(text) ? 'diff' : 'unknown';
}

/** The messages of an mbox, `>From ` quoting undone (mboxrd). */
export function splitMbox(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: string[][] = [];
  lines.forEach((l, i) => {
    if (FROM_LINE.test(l) && (i === 0 || lines[i - 1] === '' || out.length === 0)) {
      out.push([]);
      return;
    }
    out[out.length - 1]?.push(l.replace(/^>(>*From )/, '$1'));
  });
  return out.map((m) => m.join('\n'));
}

function address(a: Address | undefined): string | null {
  if (!a) return null;
  if (a.address === undefined) return a.name || null;
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

function ids(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}

/** One RFC 822 message, MIME decoded. */
export async function parseMail(raw: string, source: string): Promise<MailMessage> {
  const mail = await PostalMime.parse(raw, { attachmentEncoding: 'utf8' });
  const attached = mail.attachments
    .filter((a) => typeof a.content === 'string' && (/^text\//.test(a.mimeType) || /\.(?:patch|diff)$/.test(a.filename ?? '')))
    .map((a) => a.content as string)
    .filter((t) => DIFF_START.test(t));
  return {
    source,
    messageId: ids(mail.messageId)[0] ?? null,
    inReplyTo: ids(mail.inReplyTo)[0] ?? null,
    references: ids(mail.references),
    subject: mail.subject ?? null,
    from: address(mail.from),
    date: mail.date ?? null,
    body: [mail.text ?? '', ...attached].join('\n'),
    archivePage: false,
  };
}

/**
 * Header lines up to the first blank line, as archives print them: a folded
 * line may have lost its leading space, so a line that is not "Name: value"
 * continues the previous header.
 */
export function looseHeaders(lines: readonly string[]): { headers: Map<string, string>; bodyStart: number } {
  const headers = new Map<string, string>();
  let last: string | null = null;
  let i = 0;
  for (; i < lines.length && (lines[i] as string).trim() !== ''; i++) {
    const l = lines[i] as string;
    const h = HEADER.exec(l);
    if (h && !/^\s/.test(l)) {
      last = (h[1] as string).toLowerCase();
      headers.set(last, (h[2] ?? '').trim());
    } else if (last) {
      headers.set(last, `${headers.get(last)} ${l.trim()}`);
    }
  }
  return { headers, bodyStart: i };
}

/** A web archive's page of one message: the subject alone on the first line, then "From:", "Date:", then the body. */
export function parseArchivePage(text: string, source: string): MailMessage {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((l) => l.trim() !== '');
  const subject = (lines[start] ?? '').trim();
  let i = start + 1;
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  const { headers, bodyStart } = looseHeaders(lines.slice(i));
  return {
    source,
    messageId: headers.get('message-id') ?? null,
    inReplyTo: headers.get('in-reply-to') ?? null,
    references: [],
    subject: subject || null,
    from: headers.get('from') ?? null,
    date: headers.get('date') ?? null,
    body: lines.slice(i + bodyStart).join('\n').replace(/^\n+/, ''),
    archivePage: true,
  };
}

/** A plain diff file: no headers at all; it is named by its file. */
export function plainDiff(text: string, source: string): MailMessage {
  return { source, messageId: null, inReplyTo: null, references: [], subject: null, from: null, date: null, body: text, archivePage: false };
}
