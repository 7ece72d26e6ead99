import { rm } from 'node:fs/promises';
import { UserError, EXIT } from '../errors.ts';
import { listEntries } from '../build/cache.ts';
import { parseOrThrow, type CliContext } from './main.ts';

function gb(n: number): string {
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export async function cacheCommand(c: CliContext): Promise<number> {
  const [sub, ...rest] = c.argv;
  const entries = await listEntries(c.ctx.cacheDir);
  if (sub === 'ls' || sub === undefined) {
    const rows = entries.sort((a, b) => b.mtimeMs - a.mtimeMs).map((e) =>
      `${e.arch.padEnd(8)} ${e.key}  ${(e.meta?.sourceIdentity ?? '?').padEnd(40)} ${(e.meta?.variant ?? '?').padEnd(14)} ${(e.sizeBytes / 1024 ** 2).toFixed(1).padStart(7)} MB  ${new Date(e.mtimeMs).toISOString().slice(0, 16)}`);
    process.stdout.write(`${c.ctx.cacheDir}: ${entries.length} kernel build(s), ${gb(entries.reduce((s, e) => s + e.sizeBytes, 0))}\n${rows.join('\n')}\n`);
    return EXIT.validated;
  }
  if (sub === 'gc') {
    const { values } = parseOrThrow({ args: rest, options: { 'older-than': { type: 'string' }, 'max-size': { type: 'string' }, all: { type: 'boolean' } }, strict: true });
    const days = values['older-than'] !== undefined ? Number(values['older-than']) : undefined;
    const maxGb = values['max-size'] !== undefined ? Number(values['max-size']) : undefined;
    if ((days !== undefined && !(days >= 0)) || (maxGb !== undefined && !(maxGb >= 0))) throw new UserError('USAGE', '--older-than DAYS and --max-size GB take non-negative numbers');
    if (!values.all && days === undefined && maxGb === undefined) throw new UserError('USAGE', 'cache gc needs --older-than DAYS, --max-size GB or --all');
    const newestFirst = entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const doomed = new Set<string>();
    if (values.all) newestFirst.forEach((e) => doomed.add(e.dir));
    if (days !== undefined) newestFirst.filter((e) => Date.now() - e.mtimeMs > days * 86400_000).forEach((e) => doomed.add(e.dir));
    if (maxGb !== undefined) {
      let total = 0;
      for (const e of newestFirst) {
        total += e.sizeBytes;
        if (total > maxGb * 1024 ** 3) doomed.add(e.dir);
      }
    }
    for (const d of doomed) await rm(d, { recursive: true, force: true });
    process.stdout.write(`removed ${doomed.size} of ${entries.length} build(s)\n`);
    return EXIT.validated;
  }
  throw new UserError('USAGE', `unknown cache subcommand "${sub}". Available: ls, gc`);
}
