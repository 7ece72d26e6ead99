// Deterministic sharding balanced by estimated cost: the same config and N
// always give the same cells per shard. Cells that share a (kernel, arch)
// build tree stay together so a patched build reuses its base build.
import type { CellPlan } from './config.ts';
import { getArch } from '../arch/profile.ts';

/** Rough relative costs: a cold build dominates; cross-arch guests boot slower under TCG. */
export function estimateCost(group: CellPlan[], hostMachine: string): number {
  const first = group[0];
  if (!first) return 0;
  // Native or emulated comes from the arch profile, like everything arch-specific.
  const crossArch = getArch(first.arch).unameMachine !== hostMachine;
  const build = crossArch ? 1.3 : 1;
  // One cold build per group plus a small incremental build and a boot per extra variant.
  return build * 10 + group.length * (crossArch ? 1.5 : 1);
}

export function shardCells(cells: CellPlan[], index: number, count: number, hostMachine: string): CellPlan[] {
  if (count <= 1) return cells;
  const groups = new Map<string, CellPlan[]>();
  for (const c of cells) {
    const k = `${c.kernel.id}\u0000${c.arch}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  // Longest-processing-time first, ties broken by key: deterministic.
  const sorted = [...groups.entries()].sort((a, b) => estimateCost(b[1], hostMachine) - estimateCost(a[1], hostMachine) || (a[0] < b[0] ? -1 : 1));
  const load = new Array<number>(count).fill(0);
  const assigned = new Map<string, number>();
  for (const [k, g] of sorted) {
    let best = 0;
    for (let i = 1; i < count; i++) if ((load[i] as number) < (load[best] as number)) best = i;
    load[best] = (load[best] as number) + estimateCost(g, hostMachine);
    assigned.set(k, best);
  }
  return cells.filter((c) => assigned.get(`${c.kernel.id}\u0000${c.arch}`) === index - 1);
}

export function parseShard(s: string): { index: number; count: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && index <= count ? { index, count } : null;
}
