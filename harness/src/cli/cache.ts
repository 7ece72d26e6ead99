import { rm } from 'node:fs/promises';
import { UserError, EXIT } from '../errors.ts';
import { listEntries, type CacheEntryInfo } from '../kbuild/cache.ts';
import { cliCommand, cliGroup, defineCommand, type CliContext } from './args.ts';

function gb(n: number): string {
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function row(e: CacheEntryInfo): string {
  return `${e.arch.padEnd(8)} ${e.key}  ${(e.meta?.sourceIdentity ?? '?').padEnd(40)} ${(e.meta?.variant ?? '?').padEnd(14)} ${(e.sizeBytes / 1024 ** 2).toFixed(1).padStart(7)} MB  ${new Date(e.mtimeMs).toISOString().slice(0, 16)}`;
}

async function entriesOf(c: CliContext): Promise<CacheEntryInfo[]> {
  return (await listEntries(c.ctx.cacheDir, (text) => process.stderr.write(`warning: ${text}\n`))).sort((a, b) => b.mtimeMs - a.mtimeMs);
}

const lsSpec = defineCommand({
  name: 'cache ls',
  summary: 'list the content-addressed kernel builds in the cache, newest first',
  description: 'List the kernel builds in the cache (KVMATRIX_CACHE_DIR, default kernels/), newest first. Anything in builds/ that is not a build entry is skipped with a warning.',
  options: {},
});

const lsCommand = cliCommand(lsSpec, async (c) => {
  const entries = await entriesOf(c);
  process.stdout.write(`${c.ctx.cacheDir}: ${entries.length} kernel build(s), ${gb(entries.reduce((s, e) => s + e.sizeBytes, 0))}\n${entries.map(row).join('\n')}\n`);
  return EXIT.validated;
});

const gcSpec = defineCommand({
  name: 'cache gc',
  summary: 'remove kernel builds from the cache',
  description: 'Remove kernel builds: those older than --older-than, and the oldest ones beyond --max-size in total (newest are kept), or all of them '
    + 'with --all. Only the builds listed at the start are ever removed; each removal is printed.',
  options: {
    'older-than': { type: 'duration', unit: 'd', description: 'remove builds last written longer ago than this' },
    'max-size': { type: 'size', unit: 'G', description: 'keep the newest builds up to this total size, remove the rest' },
    all: { type: 'boolean', description: 'remove every build' },
    'dry-run': { type: 'boolean', description: 'print what would be removed, remove nothing' },
  },
  examples: ['kvmatrix cache gc --max-size 20', 'kvmatrix cache gc --older-than 30 --dry-run'],
});

const gcCommand = cliCommand(gcSpec, async (c, { values }) => {
  const olderThanMs = values['older-than'];
  const maxBytes = values['max-size'];
  if (!values.all && olderThanMs === undefined && maxBytes === undefined) {
    throw new UserError('USAGE', 'cache gc needs --older-than DURATION, --max-size SIZE or --all', { hint: 'e.g. kvmatrix cache gc --max-size 20 (GB)' });
  }
  const newestFirst = await entriesOf(c);
  const doomed = new Map<string, CacheEntryInfo>();
  if (values.all) newestFirst.forEach((e) => doomed.set(e.dir, e));
  if (olderThanMs !== undefined) newestFirst.filter((e) => Date.now() - e.mtimeMs > olderThanMs).forEach((e) => doomed.set(e.dir, e));
  if (maxBytes !== undefined) {
    let total = 0;
    for (const e of newestFirst) {
      total += e.sizeBytes;
      if (total > maxBytes) doomed.set(e.dir, e);
    }
  }
  for (const e of doomed.values()) {
    process.stdout.write(`${values['dry-run'] ? 'would remove' : 'removing'} ${row(e)}\n`);
    if (!values['dry-run']) await rm(e.dir, { recursive: true, force: true });
  }
  process.stdout.write(`${values['dry-run'] ? 'would remove' : 'removed'} ${doomed.size} of ${newestFirst.length} build(s)\n`);
  return EXIT.validated;
});

export const cacheCommand = cliGroup(
  defineCommand({ name: 'cache', summary: 'list (ls) or remove (gc) cached kernel builds', options: {} }),
  { ls: lsCommand, gc: gcCommand },
  'ls',
);
