// How long each cell took last time, kept in the cache, so a run starts its
// longest cells first: with two slots, three 35 s cells left to the end of a
// warm run leave one slot idle for most of the last half minute. Only a
// scheduling hint: a lost or stale file changes the order, never a result.
import { join } from 'node:path';
import { readJson, writeFileAtomically } from '../util/fs.ts';

export type CellTimes = Record<string, number>;

export function cellTimesPath(cacheDir: string): string {
  return join(cacheDir, 'host', 'cell-times.json');
}

/** The key of a cell across runs: the config's name and the cell id. */
export function cellTimeKey(configName: string, cellId: string): string {
  return `${configName}|${cellId}`;
}

/**
 * Cells never timed first (they may have a cold build ahead of them): every
 * base cell, then the variants, each in plan order. A variant shares its
 * base's work tree, so taken right after its base it would hold a slot
 * waiting for the tree while the other kernels' builds could run; after all
 * the bases, its build is the incremental one on top of base. Then the timed
 * cells (cached, most likely), longest first. Stable. Pure.
 */
export function longestFirst<T extends { id: string; variant: { name: string } }>(cells: readonly T[], times: CellTimes, key: (id: string) => string): T[] {
  const cost = (c: T) => times[key(c.id)] ?? Number.POSITIVE_INFINITY;
  const tier = (c: T) => (times[key(c.id)] !== undefined ? 2 : c.variant.name === 'base' ? 0 : 1);
  return cells.map((c, i) => ({ c, i })).sort((a, b) => {
    const t = tier(a.c) - tier(b.c);
    if (t !== 0) return t;
    const d = cost(b.c) - cost(a.c);
    return Number.isNaN(d) || d === 0 ? a.i - b.i : d;
  }).map((x) => x.c);
}

export async function readCellTimes(cacheDir: string): Promise<CellTimes> {
  const t = await readJson<CellTimes>(cellTimesPath(cacheDir));
  return t && typeof t === 'object' && !Array.isArray(t) ? t : {};
}

/** Remember a cell's duration; `times` is the run's copy, written whole each time (one writer per run). */
export async function recordCellTime(cacheDir: string, times: CellTimes, key: string, ms: number): Promise<void> {
  times[key] = Math.round(ms);
  await writeFileAtomically(cellTimesPath(cacheDir), `${JSON.stringify(times, null, 2)}\n`);
}
