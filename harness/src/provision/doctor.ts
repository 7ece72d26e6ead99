// `kvmatrix doctor`: every tool with version and status, KVM per arch, free
// disk in the cache dir, the Debian kernel sources on offer, and the fix for
// each problem. Honest on a machine without /dev/kvm.
import { statfs } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { machine } from 'node:os';
import { allArches } from '../arch/profile.ts';
import { kvmStatus } from '../arch/host.ts';
import { run } from '../exec/run.ts';
import { cacheDir } from '../util/paths.ts';
import { offeredDebianSources } from '../source/debian.ts';
import { checkRequirements } from './check.ts';
import { hostRequirements } from './requirements.ts';

export interface DoctorReport {
  ok: boolean;
  text: string;
}

async function versionOf(command: string): Promise<string> {
  for (const flag of ['--version', '-V', '-h']) {
    const r = await run(command, [flag], { timeoutMs: 5000 });
    const line = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l));
    if (line) return line.slice(0, 60);
  }
  return 'present';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export async function doctor(debianSources: string[]): Promise<DoctorReport> {
  const arches = allArches();
  const statuses = await checkRequirements(hostRequirements(arches, debianSources));
  const rows: string[][] = [['TOOL', 'STATUS', 'VERSION / PATH', 'PURPOSE', 'FIX']];
  for (const s of statuses) {
    const version = s.ok && s.req.command ? await versionOf(s.req.command) : s.ok ? (s.where ?? 'installed') : '-';
    rows.push([s.req.name, s.ok ? 'ok' : 'MISSING', version, s.req.purpose, s.ok ? '' : `apt-get install ${s.req.package}`]);
  }
  const lines = [`host: ${machine()}`, '', table(rows), ''];
  const kvmRows: string[][] = [['ARCH', 'ACCEL', 'WHY']];
  for (const a of arches) {
    const k = await kvmStatus(a);
    kvmRows.push([a.name, k.usable ? 'kvm' : 'tcg', k.reason]);
  }
  lines.push(table(kvmRows), '');
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const fs = await statfs(dir);
  const freeGb = (fs.bavail * fs.bsize) / 1024 ** 3;
  const diskOk = freeGb >= 10;
  lines.push(`cache dir: ${dir} (KVMATRIX_CACHE_DIR overrides)`, `free disk: ${freeGb.toFixed(1)} GB ${diskOk ? 'ok' : 'LOW: a kernel source + build needs ~3 GB per (version, arch); free space or move the cache'}`, '');
  const offered = await offeredDebianSources();
  lines.push(`Debian kernel sources offered by apt: ${offered.length ? offered.map((o) => `${o.name} ${o.candidate}`).join(', ') : 'none (run apt-get update?)'}`);
  const missing = statuses.filter((s) => !s.ok);
  if (missing.length > 0) {
    lines.push('', `fix all: ${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y --no-install-recommends ${[...new Set(missing.map((m) => m.req.package))].join(' ')}`);
    lines.push('(or just run `npm run matrix` / `npm test` as root: they install what is missing)');
  }
  return { ok: missing.length === 0 && diskOk, text: lines.join('\n') };
}
