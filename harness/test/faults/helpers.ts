// Fault tests run the real CLI against the real (cached) Debian 6.1 x86_64
// kernel with small shell-script suites that misbehave on purpose, and watch
// every process the CLI starts so they can prove none outlives it.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnLongLived, type RunResult } from '../../src/exec/run.ts';
import { repoRoot } from '../../src/util/paths.ts';
import type { RunSummary } from '../../src/results/types.ts';

export { CLI } from '../e2e/helpers.ts';
import { CLI } from '../e2e/helpers.ts';
export const FIXTURES = join(repoRoot, 'harness', 'test', 'fixtures', 'faults');

/**
 * Variants the fault suite builds once and shares: a kernel whose `uname -r`
 * ends in "-fault" (the fault scripts misbehave only there, so base behaves)
 * and one that panics before init. Both are small patches on Debian 6.1.
 */
export const FAULT_VARIANTS = {
  fault: { name: 'fault', patches: join(FIXTURES, 'patches', 'localversion-fault') },
  bootPanic: { name: 'boot-panic', patches: join(FIXTURES, 'patches', 'boot-panic') },
} as const;

export type FaultSuite = FaultSuiteBinary | { name: string; kind: 'c-source'; source: string };
interface FaultSuiteBinary {
  name: string;
  script: string;
  args?: string[];
  timeoutMs?: number;
}

/** A matrix config in a temp dir: Debian 6.1 (same build as the e2e run), x86_64, the given suites. */
export function faultConfig(opts: { suites: FaultSuite[]; kernels?: { id: string; source: string }[]; variants?: (string | { name: string; patches: string })[]; bootMs?: number }): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-fault-'));
  const kernels = opts.kernels ?? [{ id: '6.1', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' }];
  const lines = [
    'name: fault-test',
    'kernels:',
    ...kernels.map((k) => `  - { id: ${JSON.stringify(k.id)}, source: ${k.source} }`),
    'variants:',
    ...(opts.variants ?? ['base']).map((v) => (typeof v === 'string' ? `  - { name: ${v} }` : `  - { name: ${v.name}, patches: [${JSON.stringify(v.patches)}] }`)),
    'arches: [x86_64]',
    'suites:',
    ...opts.suites.map((s) => ('kind' in s
      ? `  - { name: ${s.name}, kind: c-source, source: ${JSON.stringify(join(FIXTURES, s.source))} }`
      : `  - { name: ${s.name}, kind: binary, path: ${JSON.stringify(join(FIXTURES, s.script))}, args: ${JSON.stringify(s.args ?? [])}, timeoutMs: ${s.timeoutMs ?? 60000} }`)),
    ...(opts.bootMs ? ['timeouts:', `  bootMs: ${opts.bootMs}`] : []),
  ];
  const file = join(dir, 'matrix.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, dir };
}

function children(): Map<number, { ppid: number; pgid: number; cmd: string }> {
  const out = new Map<number, { ppid: number; pgid: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      out.set(Number(d), { ppid: Number(rest[1]), pgid: Number(rest[2]), cmd: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // gone
    }
  }
  return out;
}

/** Process groups of every live descendant of `root`. */
function descendantGroups(root: number, into: Map<number, string>): void {
  const procs = children();
  const seen = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!seen.has(pid) && seen.has(p.ppid)) {
        seen.add(pid);
        grew = true;
        if (!into.has(p.pgid)) into.set(p.pgid, p.cmd);
      }
    }
  }
}

/** Live processes in any of these groups (by group, not by name). */
export function survivors(groups: Map<number, string>): string[] {
  const procs = children();
  return [...procs.entries()].filter(([, p]) => groups.has(p.pgid)).map(([pid, p]) => `${pid} ${p.cmd} (pgid ${p.pgid})`);
}

export interface TrackedRun {
  result: RunResult;
  output: string;
  groups: Map<number, string>;
  runDir: string;
  summary: () => RunSummary;
}

/**
 * Run the CLI, recording the process groups of everything it starts. `during`
 * gets the output so far and the child's pid, polled every 100 ms, to inject
 * faults (signals, kills) at the right moment.
 */
export async function runTracked(args: string[], opts: { outDir?: string; during?: (output: string, pid: number, groups: Map<number, string>) => void; env?: Record<string, string> } = {}): Promise<TrackedRun> {
  const runDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'kvmatrix-fault-run-'));
  let output = '';
  const child = spawnLongLived(process.execPath, [CLI, ...args, '--out', runDir], {
    cwd: repoRoot, env: opts.env,
    onOutput: (s) => { output += s; process.stderr.write(s); },
  });
  const groups = new Map<number, string>();
  const timer = setInterval(() => {
    descendantGroups(child.pid, groups);
    opts.during?.(output, child.pid, groups);
  }, 100);
  const result = await child.exited;
  clearInterval(timer);
  return {
    result, output, groups, runDir,
    summary: () => JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunSummary,
  };
}

export function cellOf(s: RunSummary, id: string) {
  const c = s.cells.find((x) => x.id === id);
  if (!c) throw new Error(`no cell ${id} in ${s.cells.map((x) => x.id).join(', ')}`);
  return c;
}

/** The matrix verdict of one case on 6.1/x86_64 (or another column). */
export function verdictOf(s: RunSummary, caseId: string, col = '6.1/x86_64'): string | undefined {
  return s.matrix.rows.find((r) => r.caseId === caseId)?.cells[col]?.verdict;
}
