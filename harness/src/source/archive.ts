// Tar archives into the cache, refusing anything that could land outside the
// target directory. tar@7 already drops such entries, but silently (a warning
// and a skipped file); we want a loud refusal before a single byte is written,
// so every archive gets a listing pass first and is extracted only if clean.
import { posix } from 'node:path';
import * as tar from 'tar';
import { InfraError, UserError } from '../errors.ts';

export interface ArchiveEntry {
  path: string;
  type: string;
  linkpath?: string;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

function segments(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:/.test(p);
}

/** Path of the entry inside the target once `strip` leading components are dropped, or null if tar skips it. */
export function strippedPath(path: string, strip: number): string | null {
  const parts = segments(path);
  return parts.length > strip ? parts.slice(strip).join('/') : null;
}

/**
 * What is wrong with one entry on its own (absolute path, `..`, device node,
 * link leaving the tree lexically), or null. Symlink chains are checked
 * afterwards by `symlinkEscapes`, which needs the whole listing.
 */
export function entryProblem(e: ArchiveEntry, strip: number): string | null {
  if (isAbsolute(e.path)) return `${e.path}: absolute path`;
  if (e.path.split('/').includes('..')) return `${e.path}: path contains '..'`;
  if (!ALLOWED_TYPES.has(e.type)) return `${e.path}: ${e.type} entries are not allowed in a source archive`;
  const inside = strippedPath(e.path, strip);
  if (e.type === 'SymbolicLink') {
    const target = e.linkpath ?? '';
    if (target === '') return `${e.path}: symlink with an empty target`;
    if (isAbsolute(target)) return `${e.path}: symlink to absolute path ${target}`;
    if (inside !== null) {
      const resolved = posix.normalize(posix.join(posix.dirname(inside), target));
      if (resolved === '..' || resolved.startsWith('../')) return `${e.path}: symlink to ${target} points outside the tree`;
    }
  }
  if (e.type === 'Link') {
    const target = e.linkpath ?? '';
    if (isAbsolute(target)) return `${e.path}: hard link to absolute path ${target}`;
    if (target.split('/').includes('..')) return `${e.path}: hard link target ${target} contains '..'`;
    if (inside !== null && strippedPath(target, strip) === null) return `${e.path}: hard link to ${target} outside the tree`;
  }
  return null;
}

/**
 * Does the symlink at `linkPath` (inside the tree) resolve outside it once
 * other symlinks in the archive are followed? E.g. `s -> .` then `t -> s/..`
 * looks harmless lexically but is the tree's parent.
 */
export function symlinkEscapes(linkPath: string, links: ReadonlyMap<string, string>): boolean {
  const stack = segments(posix.dirname(linkPath));
  let queue = (links.get(linkPath) ?? '').split('/');
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) return true;
      stack.pop();
      continue;
    }
    stack.push(c);
    const next = links.get(stack.join('/'));
    if (next !== undefined) {
      if (++hops > 40 || isAbsolute(next)) return true; // loop, or absolute: refuse
      stack.pop();
      queue = [...next.split('/'), ...queue];
    }
  }
  return false;
}

function unsafe(label: string, problems: string[]): UserError {
  const shown = problems.slice(0, 5).map((p) => `  ${p}`).join('\n');
  const more = problems.length > 5 ? `\n  ... and ${problems.length - 5} more` : '';
  return new UserError('ARCHIVE_UNSAFE_PATH', `refusing to unpack ${label}: ${problems.length} unsafe entr${problems.length === 1 ? 'y' : 'ies'}\n${shown}${more}`, {
    stage: 'source', hint: 'the archive would write outside its directory; use a trusted source',
  });
}

/** List `tarFile` (plain or gzip) and throw ARCHIVE_UNSAFE_PATH if any entry is unsafe. Returns the entry count. */
export async function assertArchiveSafe(tarFile: string, strip: number, label: string): Promise<number> {
  const problems: string[] = [];
  const links = new Map<string, string>();
  let count = 0;
  try {
    await tar.t({
      file: tarFile,
      strict: true,
      onReadEntry: (entry) => {
        count++;
        const e: ArchiveEntry = { path: entry.path, type: entry.type, linkpath: entry.linkpath };
        const problem = entryProblem(e, strip);
        if (problem) {
          problems.push(problem);
          return;
        }
        const inside = strippedPath(e.path, strip);
        if (inside === null) return;
        if (e.type === 'SymbolicLink') links.set(inside, e.linkpath ?? '');
        else links.delete(inside);
      },
    });
  } catch (err) {
    throw new InfraError('SOURCE_UNPACK', `${label} is not a readable tar archive: ${err instanceof Error ? err.message : String(err)}`, { stage: 'source', cause: err });
  }
  for (const [path, target] of links) {
    if (symlinkEscapes(path, links)) problems.push(`${path}: symlink to ${target} resolves outside the tree`);
  }
  if (problems.length > 0) throw unsafe(label, problems);
  if (count === 0) throw new InfraError('SOURCE_UNPACK', `${label} is an empty archive`, { stage: 'source' });
  return count;
}

/** Extract a checked archive into `dest`. Any tar warning (a skipped or failed entry) is an error. */
export async function extractArchive(tarFile: string, dest: string, strip: number, label: string): Promise<void> {
  const warnings: string[] = [];
  try {
    await tar.x({
      file: tarFile,
      cwd: dest,
      strip,
      preserveOwner: false,
      onwarn: (code, message) => {
        if (code !== 'TAR_ENTRY_INFO') warnings.push(`${code}: ${message}`);
      },
    });
  } catch (err) {
    throw new InfraError('SOURCE_UNPACK', `unpacking ${label} failed: ${err instanceof Error ? err.message : String(err)}`, { stage: 'source', cause: err });
  }
  if (warnings.length > 0) {
    throw new InfraError('SOURCE_UNPACK', `unpacking ${label} left ${warnings.length} entr${warnings.length === 1 ? 'y' : 'ies'} out`, {
      stage: 'source', logTail: warnings.slice(0, 20).join('\n'),
    });
  }
}
