// From whatever mail the developer has to the series to validate: messages
// read (message.ts), patches found in them (extract.ts), the cover letter
// set aside, the newest version kept, the series ordered by "[PATCH vN M/K]",
// and follow-up fixups ("fixup: ..." in the same thread) matched to the patch
// they correct so they can be offered as a second variant. Also what a reply
// must name: the Message-ID to answer and the subject. Pure but for
// postal-mime being async.
import { UserError } from '../errors.ts';
import { inputKind, parseArchivePage, parseMail, plainDiff, splitMbox, type MailMessage } from './message.ts';
import { patchesOf, type MailPatch } from './extract.ts';
import { parseSubject } from './subject.ts';

export interface MailInput {
  /** The file name (or "stdin") the text came from. */
  name: string;
  text: string;
}

export interface Fixup {
  patch: MailPatch;
  /** Index in `series` of the patch it corrects. */
  fixes: number;
}

export interface ThreadInfo {
  /** The Message-ID a reply answers (the cover letter's, else the first patch's); null when the input has none (an archive page). */
  messageId: string | null;
  /** The subject as posted, "[PATCH v1 1/2] mm/userfaultfd: ...": the reply's is "Re: " + this. */
  subject: string;
  from: string | null;
  date: string | null;
  /** The patch came from a web archive's page: its whitespace cannot be trusted and it has no Message-ID. */
  archivePage: boolean;
}

export interface Intake {
  series: MailPatch[];
  fixups: Fixup[];
  cover: MailMessage | null;
  version: number;
  thread: ThreadInfo;
  /** What was set aside or is missing, one line each (said in the run's output and the reply). */
  notes: string[];
}

async function messagesOf(input: MailInput): Promise<MailMessage[]> {
  switch (inputKind(input.text)) {
    case 'mbox': {
      const raw = splitMbox(input.text);
      return Promise.all(raw.map((r, i) => parseMail(r, raw.length > 1 ? `${input.name} message ${i + 1}` : input.name)));
    }
    case 'mail': return [await parseMail(input.text, input.name)];
    case 'archive-page': return [parseArchivePage(input.text, input.name)];
    default: return [plainDiff(input.text, input.name)];
  }
}

/** Keep one version (the newest) and one patch per position (the last sent); order by M of M/K. */
function orderSeries(mains: MailPatch[], notes: string[]): { series: MailPatch[]; version: number } {
  const version = Math.max(...mains.map((p) => p.subject.version));
  const older = [...new Set(mains.filter((p) => p.subject.version !== version).map((p) => p.subject.version))];
  if (older.length > 0) notes.push(`set aside v${older.sort().join(', v')}: validating v${version}, the newest in the input`);
  const kept = mains.filter((p) => p.subject.version === version);
  const byIndex = new Map<number, MailPatch>();
  kept.forEach((p, i) => {
    const at = p.subject.index ?? i + 1;
    if (byIndex.has(at)) notes.push(`patch ${at} appears twice (${byIndex.get(at)?.source}, ${p.source}): using the later one`);
    byIndex.set(at, p);
  });
  const series = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  const total = kept.find((p) => p.subject.total !== null)?.subject.total ?? null;
  if (total !== null) {
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
    if (missing.length > 0) notes.push(`patch ${missing.map((m) => `${m}/${total}`).join(', ')} of the series ${missing.length > 1 ? 'are' : 'is'} not in the input: validating ${[...byIndex.keys()].map((k) => `${k}/${total}`).join(', ')} alone`);
  }
  return { series, version };
}

/** Which patch a fixup corrects: the one it names, else the one its mail carries or answers, else the last. */
function fixupTarget(f: MailPatch, series: readonly MailPatch[]): number {
  const byTitle = series.findIndex((p) => f.subject.fixes !== null && p.subject.title === f.subject.fixes);
  if (byTitle >= 0) return byTitle;
  const sameMail = series.findIndex((p) => p.host === f.host);
  if (sameMail >= 0) return sameMail;
  const answered = series.findIndex((p) => p.messageId !== null && p.messageId === f.host.inReplyTo);
  return answered >= 0 ? answered : series.length - 1;
}

function threadOf(series: readonly MailPatch[], cover: MailMessage | null): ThreadInfo {
  const first = series[0] as MailPatch;
  const name = first.source.replace(/, embedded patch \d+$/, '');
  if (cover) return { messageId: cover.messageId, subject: parseSubject(cover.subject ?? '').posted, from: cover.from, date: cover.date, archivePage: cover.archivePage };
  // A reply quoting the patch answers the patch: its In-Reply-To is the patch's Message-ID.
  const messageId = first.origin === 'quoted' ? first.host.inReplyTo : first.messageId;
  return { messageId, subject: first.subject.posted || name, from: first.from, date: first.date, archivePage: first.host.archivePage };
}

export async function readMail(inputs: readonly MailInput[]): Promise<Intake> {
  const messages = (await Promise.all(inputs.map(messagesOf))).flat();
  const notes: string[] = [];
  const covers = messages.filter((m) => { const s = parseSubject(m.subject ?? ''); return s.patch && s.index === 0 && !s.reply; });
  const patches = messages.flatMap(patchesOf).filter((p) => !(p.subject.index === 0 && p.origin === 'message'));
  // A reply quoting a patch the input also has as its own mail adds nothing.
  const quotedDup = (p: MailPatch) => p.origin === 'quoted' && patches.some((q) => q.origin === 'message' && q.subject.posted === p.subject.posted);
  let mains = patches.filter((p) => !p.subject.fixup && !quotedDup(p));
  let fixupPatches = patches.filter((p) => p.subject.fixup);
  if (mains.length === 0) [mains, fixupPatches] = [fixupPatches, []];
  if (mains.length === 0) {
    throw new UserError('MAIL_NO_PATCH', `no patch found in ${inputs.map((i) => i.name).join(', ')}`, {
      hint: 'give git format-patch output, an mbox or .mbx of the series, a saved mail (.eml) or an archive page that shows the diff',
    });
  }
  const { series, version } = orderSeries(mains, notes);
  const cover = covers.filter((c) => parseSubject(c.subject ?? '').version === version).pop() ?? null;
  if (cover) notes.push(`cover letter "${parseSubject(cover.subject ?? '').posted}" set aside (no diff)`);
  const fixups = fixupPatches.map((patch) => ({ patch, fixes: fixupTarget(patch, series) }));
  for (const p of series.filter((x) => x.origin === 'quoted')) notes.push(`${p.source}: the patch is the one quoted in a reply ("${p.subject.posted}")`);
  return { series, fixups, cover, version, thread: threadOf(series, cover), notes };
}
