// The patch stage: apply a variant's series to the kernel source, without
// writing to the pristine tree and without a build work tree. Each message
// goes through `git apply --check` then `git apply` in an overlay holding
// only the files the series touches (copies of the pristine ones), so a
// series whose second patch builds on its first applies as it would in a
// tree. The output is the patched content of every touched file: the build
// stage writes exactly that into its work tree.
//
// Each message ends in one state, kept with its evidence (patch.log, the
// repaired diff, patch-report.txt): applied; applied with an offset (git's
// "Hunk #1 succeeded at 738 (offset 11 lines)"); already present (present.ts:
// skipped, the tree has the change); applied after repair (repair.ts, only
// when the variant asks for it: archive whitespace mangling undone); or does
// not apply (which file and hunk, and the closest match).
import { mkdtemp, mkdir, copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec/run.ts';
import { UserError } from '../errors.ts';
import { hashValue, sha256 } from '../util/hash.ts';
import type { KernelSource } from '../source/types.ts';
import type { PatchFile } from './series.ts';
import { summarizeApplyError, type PatchMessage } from './parse.ts';
import { parseDiff } from './diff.ts';
import { repairDiff, type RepairRefusal } from './repair.ts';
import { describePresence, diffPresence } from './present.ts';
import type { PatchState } from '../results/types.ts';
import { PATCH_STATE_WORDS } from './states.ts';

export type MessageState = PatchState;

export interface MessageApply {
  /** The patch file, and the message's 1-based index in it. */
  file: string;
  index: number;
  subject: string | null;
  state: MessageState;
  /** What happened, one line each: offsets, where a repaired hunk was found, why it does not apply. */
  notes: string[];
  /** The repaired diff that was applied instead of the message's own (written next to patch.log). */
  repaired?: { path: string; sha256: string };
}

export interface PatchReport {
  /** The series' state: the worst message's (does-not-apply, then repair, offset); already-present only when every message is. */
  state: MessageState;
  messages: MessageApply[];
  /** Files written as evidence (patch-report.txt, repaired diffs); absolute. */
  evidence: string[];
}

export interface PatchedFiles {
  /** Identifies the applied series (hash of the patch files' sha256s, and of any repaired diff): what the work tree has applied. */
  key: string;
  /** Tree-relative paths the series touches, sorted. */
  touched: string[];
  /** Their content after the series; null where the series deletes the file. */
  contents: Record<string, Buffer | null>;
  report: PatchReport;
}

/**
 * Put the series' files into a checkout under `root`: each touched path is
 * removed first (it may be a hard link into the pristine tree, which must
 * never be written), then written with its patched content unless the series
 * deletes it. Shared by the build work tree and the bisect checkout.
 */
export async function writeTouchedFiles(root: string, patched: Pick<PatchedFiles, 'touched' | 'contents'>): Promise<void> {
  for (const rel of patched.touched) {
    const target = join(root, rel);
    await rm(target, { force: true });
    const content = patched.contents[rel];
    if (content === null || content === undefined) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

export interface ApplyOptions {
  /** Undo archive whitespace mangling when a message does not apply as it is (a variant's `repair: true`). */
  repair?: boolean;
  /** Where the evidence files go (default: next to the log). */
  evidenceDir?: string;
}

/** A patch that does not apply, or is already in the tree: a user error that carries the report. */
export class PatchError extends UserError {
  constructor(code: 'PATCH_DOES_NOT_APPLY' | 'PATCH_ALREADY_PRESENT' | 'PATCH_EMPTY', message: string, readonly report: PatchReport, details: { logPath?: string; logTail?: string; hint?: string } = {}) {
    super(code, message, { stage: 'patch', ...details });
  }
}

/** The key of a series: equal keys mean equal patched trees for the same source. */
export function seriesKey(patches: readonly PatchFile[], repairedSha256s: readonly string[] = []): string {
  const shas = patches.map((p) => p.sha256);
  return hashValue(repairedSha256s.length > 0 ? [...shas, { repaired: repairedSha256s }] : shas);
}

/** The series as the build cache must key it: a file whose message was repaired is keyed by what was applied. */
export function effectivePatches(patches: readonly PatchFile[], report: PatchReport): PatchFile[] {
  return patches.map((p) => {
    const repaired = report.messages.filter((m) => m.file === p.path && m.repaired).map((m) => m.repaired?.sha256 as string);
    return repaired.length > 0 ? { ...p, sha256: hashValue([p.sha256, ...repaired]) } : p;
  });
}

/** The patch file by name (patch.log and the record keep the path), and which message of it. */
function messageLabel(patch: PatchFile, msg: PatchMessage): string {
  return `${basename(patch.path)}${patch.messages.length > 1 ? ` (message ${msg.index}${msg.subject ? `: ${msg.subject}` : ''})` : ''}`;
}

/** "debian:bookworm:linux-source-6.1=6.1.176-1", without the sha256 a one-line message has no room for. */
function shortIdentity(source: KernelSource): string {
  return source.identity.replace(/#sha256=[0-9a-f]+$/, '');
}

/** "Hunk #1 succeeded at 738 (offset 11 lines)." lines of `git apply -v`. */
export function parseOffsets(stderr: string): string[] {
  return [...stderr.matchAll(/^Hunk #(\d+) succeeded at (\d+)(?: \((offset -?\d+ lines?|with fuzz \d+)[^)]*\))?\.?$/gm)]
    .filter((m) => m[3] !== undefined)
    .map((m) => `hunk ${m[1]} applies at line ${m[2]} (${m[3]})`);
}

/** The worst state of a series (see PatchReport.state). */
export function seriesState(messages: readonly MessageApply[]): MessageState {
  if (messages.length === 0) return 'applied';
  for (const s of ['does-not-apply', 'applied-after-repair', 'applied-with-offset'] as const) if (messages.some((m) => m.state === s)) return s;
  return messages.every((m) => m.state === 'already-present') ? 'already-present' : 'applied';
}

interface Overlay {
  dir: string;
  env: Record<string, string>;
  source: KernelSource;
  logPath: string;
  evidenceDir: string;
  repair: boolean;
  /** Repaired diffs written so far (numbers the next one). */
  repairedCount: number;
}

function readOverlay(o: Overlay, rel: string): string | null {
  const p = join(o.dir, rel);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

async function gitApply(o: Overlay, text: string, check: boolean) {
  return run('git', ['apply', ...(check ? ['--check', '-v'] : []), '-'], { cwd: o.dir, env: o.env, input: text, logPath: o.logPath });
}

/** Apply `patches` in order to the files of `source` they touch. Throws PatchError (a UserError) naming the patch and hunk. */
export async function applyPatches(source: KernelSource, patches: readonly PatchFile[], logPath: string, opts: ApplyOptions = {}): Promise<PatchedFiles> {
  const overlayDir = await mkdtemp(join(tmpdir(), 'kvmatrix-patch-'));
  // Keep git from discovering a repository above the overlay (paths would then be relative to its root).
  const o: Overlay = { dir: overlayDir, env: { GIT_CEILING_DIRECTORIES: dirname(overlayDir) }, source, logPath, evidenceDir: opts.evidenceDir ?? dirname(logPath), repair: opts.repair ?? false, repairedCount: 0 };
  const touched = new Set<string>();
  const messages: MessageApply[] = [];
  const report = (): PatchReport => ({ state: seriesState(messages), messages, evidence: [] });
  try {
    for (const patch of patches) {
      for (const msg of patch.messages) {
        if (msg.files.length === 0) throw new PatchError('PATCH_EMPTY', `${messageLabel(patch, msg)} contains no diff`, report());
        for (const f of msg.files) await addToOverlay(o, touched, f);
        messages.push(await applyMessage(o, patch, msg, () => report()));
      }
    }
    const final = report();
    if (patches.length > 0) final.evidence = await writeReport(o, final);
    if (final.state === 'already-present') {
      throw new PatchError('PATCH_ALREADY_PRESENT', `${patches.map((p) => basename(p.path)).join(', ')}: already in ${shortIdentity(source)}: ${final.messages.flatMap((m) => m.notes).join('; ')}`, final, { logPath });
    }
    const contents: Record<string, Buffer | null> = {};
    for (const f of [...touched].sort()) contents[f] = existsSync(join(o.dir, f)) ? await readFile(join(o.dir, f)) : null;
    const repaired = final.messages.flatMap((m) => (m.repaired ? [m.repaired.sha256] : []));
    return { key: seriesKey(patches, repaired), touched: [...touched].sort(), contents, report: final };
  } catch (err) {
    if (err instanceof PatchError && err.report.evidence.length === 0 && patches.length > 0) err.report.evidence = await writeReport(o, err.report);
    throw err;
  } finally {
    await rm(overlayDir, { recursive: true, force: true });
  }
}

async function addToOverlay(o: Overlay, touched: Set<string>, f: string): Promise<void> {
  if (touched.has(f)) return;
  touched.add(f);
  if (existsSync(join(o.source.tree, f))) {
    await mkdir(dirname(join(o.dir, f)), { recursive: true });
    await copyFile(join(o.source.tree, f), join(o.dir, f));
  }
}

/** One message: as it is, else already present, else repaired (when asked), else the reasons it does not apply. */
async function applyMessage(o: Overlay, patch: PatchFile, msg: PatchMessage, report: () => PatchReport): Promise<MessageApply> {
  const base = { file: patch.path, index: msg.index, subject: msg.subject };
  const check = await gitApply(o, msg.text, true);
  if (check.exitCode === 0) {
    await mustApply(o, msg.text, messageLabel(patch, msg), report);
    const offsets = parseOffsets(check.stderr);
    return { ...base, state: offsets.length > 0 ? 'applied-with-offset' : 'applied', notes: offsets };
  }
  const parsed = parseDiff(msg.text);
  const presence = diffPresence(parsed, (f) => readOverlay(o, f));
  if (presence.presence !== 'absent') {
    const how = presence.presence === 'present' ? 'already present' : 'already present in a later form';
    return { ...base, state: 'already-present', notes: presence.hunks.map((h) => `${how}: ${describePresence(h)}`) };
  }
  const repair = repairDiff(parsed, (f) => readOverlay(o, f));
  let retryError: string | null = null;
  if (repair.ok && o.repair) {
    const label = messageLabel(patch, msg);
    const retry = await gitApply(o, repair.text, true);
    retryError = `git apply rejected the repaired diff too: ${summarizeApplyError(retry.stderr).reason}`;
    if (retry.exitCode === 0) {
      await mustApply(o, repair.text, label, report);
      const path = join(o.evidenceDir, `patch-repaired-${++o.repairedCount}.diff`);
      await mkdir(o.evidenceDir, { recursive: true });
      await writeFile(path, repair.text);
      const notes = repair.hunks.map((h) => `repaired ${h.file} hunk ${h.hunk}: ${h.note}`);
      return { ...base, state: 'applied-after-repair', notes, repaired: { path, sha256: sha256(repair.text) } };
    }
  }
  const failed: MessageApply = { ...base, state: 'does-not-apply', notes: retryError ? [retryError] : [] };
  throw doesNotApply(o, patch, msg, check.stderr, repair.ok ? null : repair.refusal, failed, report);
}

async function mustApply(o: Overlay, text: string, label: string, report: () => PatchReport): Promise<void> {
  const apply = await gitApply(o, text, false);
  if (apply.exitCode !== 0) throw new PatchError('PATCH_DOES_NOT_APPLY', `${label}: git apply failed after --check passed: ${apply.stderr.trim()}`, report(), { logPath: o.logPath });
}

/**
 * Why a message does not apply: git's reason, and the hunk that is not in the
 * tree with its closest match. When git only says the diff is corrupt (an
 * archive mangled it), the hunk diagnosis comes first. A mangled diff that
 * would apply after repair, on a variant that did not ask for it, says so in the hint.
 */
function doesNotApply(o: Overlay, patch: PatchFile, msg: PatchMessage, stderr: string, refusal: RepairRefusal | null, failed: MessageApply, report: () => PatchReport): PatchError {
  const s = summarizeApplyError(stderr);
  const where = s.file ? `${s.file}${s.line ? `:${s.line}` : ''}: ` : s.line && !s.reason.includes(`line ${s.line}`) ? `line ${s.line}: ` : '';
  const git = `${where}${s.reason}`;
  // git only says "corrupt patch" of a mangled diff: the hunk that is not in the tree says more.
  const hunkFirst = refusal !== null && /corrupt patch/.test(s.reason) && refusal.reason !== 'repeated-file';
  const lines = [...(hunkFirst ? [refusal.message, `git apply: ${git}`] : [git, ...(refusal ? [refusal.message] : [])]), ...failed.notes];
  failed.notes = lines;
  const r = report();
  r.messages.push(failed);
  r.state = 'does-not-apply';
  let hint = 'rebase the patch onto this kernel or limit the variant to kernels it applies to';
  if (!refusal && !o.repair && !failed.notes.some((n) => n.startsWith('git apply rejected'))) hint = 'every hunk is in the tree once whitespace is normalised (a mail archive mangled it?): set `repair: true` on the variant to apply it repaired (kvmatrix validate does)';
  if (refusal?.reason === 'repeated-file') hint = 'the file holds several patches in one message: give each its own file (kvmatrix validate splits a mail into its patches)';
  return new PatchError('PATCH_DOES_NOT_APPLY', `${messageLabel(patch, msg)} does not apply to ${shortIdentity(o.source)}: ${lines.join('\n')}`, r, {
    logPath: o.logPath, logTail: stderr.trim().split('\n').slice(-15).join('\n'), hint,
  });
}

/** patch-report.txt: each message's state and notes, and the repaired diffs in full. */
async function writeReport(o: Overlay, r: PatchReport): Promise<string[]> {
  const lines = [`patch stage on ${o.source.identity}: ${PATCH_STATE_WORDS[r.state]}`, ''];
  for (const m of r.messages) {
    lines.push(`${basename(m.file)} message ${m.index}${m.subject ? ` (${m.subject})` : ''}: ${PATCH_STATE_WORDS[m.state]}`);
    for (const n of m.notes) lines.push(`  ${n.split('\n').join('\n  ')}`);
    if (m.repaired) lines.push(`  repaired diff: ${basename(m.repaired.path)}`, '', readFileSync(m.repaired.path, 'utf8'));
  }
  await mkdir(o.evidenceDir, { recursive: true });
  const path = join(o.evidenceDir, 'patch-report.txt');
  await writeFile(path, `${lines.join('\n')}\n`);
  return [path, ...r.messages.flatMap((m) => (m.repaired ? [m.repaired.path] : []))];
}
