// A git history to bisect without a network: a kernel tree from the cache as
// the root commit, then `commits` small commits on top. Most are harmless
// (a comment appended to a compiled file or a line added to a document, so
// incremental builds have something to do); one plants a patch series (our
// 6.1 backport, with its own subject and author); optionally one breaks the
// build and the next mends it. Used by the end-to-end test and the bench.
//
// Built with plumbing on a bare repository and a private index: the kernel
// tree is read in place (`git add` with it as the work tree), never written;
// every later commit edits blobs in the index (`git apply --cached` for the
// series). Author and committer dates are fixed, so the same tree and layout
// give the same commit ids every time, and the repository is reused from the
// cache (${cacheDir}/synthetic/) once made. Making it from the 1.4 GB Debian
// 6.1 tree takes about a minute (hashing and compressing 80k files).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { hashValue } from '../util/hash.ts';
import { writeDirAtomically, writeFileAtomically } from '../util/fs.ts';
import type { PatchFile } from '../patch/series.ts';
import type { Ctx } from '../stage.ts';
import type { KernelEntry } from '../plan/config.ts';
import { fetchSource } from '../source/fetch.ts';

export interface SyntheticHistoryRequest {
  cacheDir: string;
  /** The root commit's tree (read only). */
  tree: string;
  /** What the tree is (its source identity): part of the repository's key. */
  treeIdentity: string;
  /** The series planted at `plantAt`, one commit per message. */
  series: PatchFile[];
  commits: number;
  plantAt: number;
  /** This commit breaks the build (a #error in `breakFile`), the next one mends it. */
  breakAt?: number;
  logPath: string;
}

export interface SyntheticHistory {
  /** The bare repository (a local path `--source` takes). */
  repo: string;
  /** Index 0 is the root; index i the i-th commit on top. */
  commits: { commit: string; subject: string }[];
  planted: string;
  broken: string | null;
  /** Time spent making it now (0 when reused from the cache). */
  madeMs: number;
}

/** Bump when the layout of the history changes (new commit ids). */
const GENERATOR = 1;
/** Compiled in every kvmatrix kernel (tinyconfig + our fragments), small enough to recompile in a second or two. */
const HARMLESS = ['Documentation/admin-guide/mm/userfaultfd.rst', 'kernel/sys.c', 'Documentation/mm/index.rst', 'mm/mprotect.c'];
export const BREAK_FILE = 'mm/madvise.c';

interface Builder {
  gitDir: string;
  index: string;
  logPath: string;
}

async function plumb(b: Builder, args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; workTree?: string } = {}): Promise<string> {
  return (await plumbRaw(b, args, opts)).trim();
}

async function plumbRaw(b: Builder, args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; workTree?: string } = {}): Promise<string> {
  const r = await run('git', ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', `--git-dir=${b.gitDir}`, ...(opts.workTree ? [`--work-tree=${opts.workTree}`] : []), ...args], {
    cwd: opts.workTree, env: { GIT_INDEX_FILE: b.index, LC_ALL: 'C', GIT_CEILING_DIRECTORIES: b.gitDir, ...opts.env }, input: opts.input, timeoutMs: 30 * 60_000,
    // Blobs read back stay out of the log.
    logPath: args[0] === 'cat-file' ? undefined : b.logPath,
  });
  if (r.exitCode !== 0) throw new InfraError('SYNTHETIC_HISTORY', `git ${args[0]} failed while making the synthetic history (exit ${r.exitCode ?? r.signal})`, { logPath: b.logPath, logTail: r.stderr.slice(-2000) });
  return r.stdout;
}

function identityEnv(i: number, author?: { name: string; email: string }): Record<string, string> {
  const date = `@${1_700_000_000 + i * 3600} +0000`;
  return {
    GIT_AUTHOR_NAME: author?.name ?? 'kvmatrix synthetic history', GIT_AUTHOR_EMAIL: author?.email ?? 'kvmatrix@localhost', GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: 'kvmatrix synthetic history', GIT_COMMITTER_EMAIL: 'kvmatrix@localhost', GIT_COMMITTER_DATE: date,
  };
}

async function commit(b: Builder, i: number, parent: string | null, message: string, author?: { name: string; email: string }): Promise<string> {
  const tree = await plumb(b, ['write-tree']);
  return plumb(b, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], { input: `${message}\n`, env: identityEnv(i, author) });
}

/** Replace one file's content in the index. */
async function putFile(b: Builder, path: string, content: Buffer): Promise<void> {
  const blob = await plumb(b, ['hash-object', '-w', '--stdin'], { input: content });
  await plumb(b, ['update-index', '--cacheinfo', `100644,${blob},${path}`]);
}

async function fileAt(b: Builder, path: string): Promise<Buffer> {
  return Buffer.from(await plumbRaw(b, ['cat-file', 'blob', `:${path}`]));
}

function parseAuthor(author: string | null): { name: string; email: string } | undefined {
  const m = author ? /^(.*?)\s*<([^>]+)>/.exec(author) : null;
  return m ? { name: m[1] as string, email: m[2] as string } : undefined;
}

/** The i-th commit's change and message. */
async function change(b: Builder, req: SyntheticHistoryRequest, i: number, beforeBreak: { current: Buffer | null }): Promise<{ message: string; author?: { name: string; email: string } }> {
  if (i === req.plantAt) {
    const msg = req.series.flatMap((p) => p.messages)[0];
    for (const m of req.series.flatMap((p) => p.messages)) await plumb(b, ['apply', '--cached', '-'], { input: m.text });
    return { message: `${msg?.subject ?? 'planted series'}\n\n${msg?.body.trim() ?? ''}`, author: parseAuthor(msg?.author ?? null) };
  }
  if (i === req.breakAt) {
    beforeBreak.current = await fileAt(b, BREAK_FILE);
    await putFile(b, BREAK_FILE, Buffer.concat([beforeBreak.current, Buffer.from(`#error "kvmatrix synthetic history: commit ${i} breaks the build"\n`)]));
    return { message: `synthetic: break the build in ${BREAK_FILE} (${i}/${req.commits})` };
  }
  if (req.breakAt !== undefined && i === req.breakAt + 1 && beforeBreak.current) {
    await putFile(b, BREAK_FILE, beforeBreak.current);
    return { message: `synthetic: mend the build in ${BREAK_FILE} (${i}/${req.commits})` };
  }
  const file = HARMLESS[i % HARMLESS.length] as string;
  const note = file.endsWith('.c') ? `/* kvmatrix synthetic history: commit ${i} */\n` : `.. kvmatrix synthetic history: commit ${i}\n`;
  await putFile(b, file, Buffer.concat([await fileAt(b, file), Buffer.from(note)]));
  return { message: `synthetic: note in ${file} (${i}/${req.commits})` };
}

export async function makeSyntheticHistory(req: SyntheticHistoryRequest): Promise<SyntheticHistory> {
  const key = hashValue({ GENERATOR, tree: req.treeIdentity, series: req.series.map((p) => p.sha256), commits: req.commits, plantAt: req.plantAt, breakAt: req.breakAt ?? null }).slice(0, 12);
  const repo = join(req.cacheDir, 'synthetic', `bisect-${key}.git`);
  const meta = join(repo, 'kvmatrix-synthetic.json');
  if (existsSync(meta)) return { ...(JSON.parse(await readFile(meta, 'utf8')) as SyntheticHistory), repo, madeMs: 0 };
  const started = Date.now();
  let made: Omit<SyntheticHistory, 'madeMs'> | undefined;
  await writeDirAtomically(repo, async (tmp) => {
    made = { ...(await fill(tmp, req)), repo };
    await writeFileAtomically(join(tmp, 'kvmatrix-synthetic.json'), JSON.stringify(made, null, 2));
  });
  if (!made) throw new InfraError('SYNTHETIC_HISTORY', 'the synthetic history was not made');
  return { ...made, madeMs: Date.now() - started };
}

async function fill(gitDir: string, req: SyntheticHistoryRequest): Promise<Omit<SyntheticHistory, 'madeMs' | 'repo'>> {
  const r = await run('git', ['init', '--bare', '--quiet', gitDir], { logPath: req.logPath });
  if (r.exitCode !== 0) throw new InfraError('SYNTHETIC_HISTORY', `git init ${gitDir} failed`, { logPath: req.logPath });
  const b: Builder = { gitDir, index: join(gitDir, 'synthetic-index'), logPath: req.logPath };
  await plumb(b, ['add', '--all', '--force', '.'], { workTree: req.tree });
  let parent = await commit(b, 0, null, `synthetic root: ${req.treeIdentity}`);
  const commits = [{ commit: parent, subject: `synthetic root: ${req.treeIdentity}` }];
  const beforeBreak = { current: null as Buffer | null };
  for (let i = 1; i <= req.commits; i++) {
    const c = await change(b, req, i, beforeBreak);
    parent = await commit(b, i, parent, c.message, c.author);
    commits.push({ commit: parent, subject: c.message.split('\n')[0] as string });
  }
  await plumb(b, ['update-ref', 'refs/heads/main', parent]);
  await plumb(b, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  await plumb(b, ['tag', 'synthetic-root', commits[0]?.commit as string]);
  const at = (i: number | undefined) => (i === undefined ? null : commits[i]?.commit ?? null);
  return { commits, planted: at(req.plantAt) as string, broken: at(req.breakAt) };
}

/** What the end-to-end test and the bench bisect: 32 commits, the series at 21, the build broken at 24 and mended at 25. */
export const STANDARD_LAYOUT = { commits: 32, plantAt: 21, breakAt: 24 } as const;

/** The standard history on a config's kernel (its source from the cache, fetched if missing) with `series` planted. */
export async function standardSyntheticHistory(ctx: Ctx, kernel: KernelEntry, series: PatchFile[], logDir: string): Promise<SyntheticHistory> {
  const source = await fetchSource(ctx, kernel.source, join(logDir, 'source.log'));
  return makeSyntheticHistory({ cacheDir: ctx.cacheDir, tree: source.tree, treeIdentity: source.identity, series, ...STANDARD_LAYOUT, logPath: join(logDir, 'history.log') });
}
