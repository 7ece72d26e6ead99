// `kvmatrix doctor`: every tool with version and status, KVM per arch, free
// disk in the cache dir, the Debian kernel sources on offer, and the fix for
// each problem. Honest on a machine without /dev/kvm, and on one whose KVM
// passes the paused-VM probe but runs no guest: per arch it shows the probe,
// the CPU's virtualisation flags, the last real-boot verdict and what
// `--accel auto` will do with all that.
import { statfs } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { machine } from 'node:os';
import { allArches, type ArchProfile } from '../arch/profile.ts';
import { hostFacts, hostVirtFlags, isNative, kvmStatus, virtFlagsNote } from '../arch/host.ts';
import { KVM_VERDICT_MAX_AGE_MS, describeVerdictContext, kvmVerdictPath, readKvmVerdict, verdictStaleness } from '../arch/kvm-verdict.ts';
import { planAccel } from '../boot/accel-policy.ts';
import { run } from '../exec/run.ts';
import { cacheDir } from '../util/paths.ts';
import { offeredDebianSources } from '../source/debian.ts';
import { describeOffer, loadDebianArchive, suiteOffer, type DebianArchive, type DebianSuite, type SuiteOffer } from '../source/debian-archive.ts';
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
  const dir = cacheDir();
  lines.push('KVM per arch (--accel auto trusts KVM only after a real boot shows the kernel\'s console):');
  for (const a of arches) lines.push(...(await kvmSection(a, dir)));
  lines.push('');
  mkdirSync(dir, { recursive: true });
  const fs = await statfs(dir);
  const freeGb = (fs.bavail * fs.bsize) / 1024 ** 3;
  const diskOk = freeGb >= 10;
  lines.push(`cache dir: ${dir} (KVMATRIX_CACHE_DIR overrides)`, `free disk: ${freeGb.toFixed(1)} GB ${diskOk ? 'ok' : 'LOW: a kernel source + build needs ~3 GB per (version, arch); free space or move the cache'}`, '');
  const offered = await offeredDebianSources();
  lines.push(`Debian kernel sources offered by apt: ${offered.length ? offered.map((o) => `${o.name} ${o.candidate}`).join(', ') : 'none (run apt-get update?)'}`);
  lines.push('', ...(await debianSuitesSection(dir)));
  const missing = statuses.filter((s) => !s.ok);
  if (missing.length > 0) {
    lines.push('', `fix all: ${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y --no-install-recommends ${[...new Set(missing.map((m) => m.req.package))].join(' ')}`);
    lines.push('(or just run `npm run matrix` / `npm test` as root: they install what is missing)');
  }
  return { ok: missing.length === 0 && diskOk, text: lines.join('\n') };
}

async function kvmSection(arch: ArchProfile, dir: string): Promise<string[]> {
  const probe = await kvmStatus(arch);
  const out = [`  ${arch.name}`, `    paused-VM probe: ${!isNative(arch) ? 'n/a' : probe.usable ? 'passes' : 'fails'}: ${probe.reason}`];
  if (!isNative(arch)) {
    out.push(`    auto uses:       tcg, because: ${probe.reason}`);
    return out;
  }
  const flags = hostVirtFlags(arch);
  if (flags.wanted.length > 0) {
    out.push(`    CPU flags:       ${flags.present.length ? `${flags.present.join(', ')} in /proc/cpuinfo` : `none of ${flags.wanted.join(', ')} in /proc/cpuinfo (${virtFlagsNote(flags)})`}`);
  }
  const verdict = await readKvmVerdict(dir, arch.name);
  const stale = verdict ? verdictStaleness(verdict, await hostFacts(arch), Date.now()) : null;
  if (!verdict) {
    out.push('    last real boot:  unverified: no KVM guest booted yet');
  } else {
    out.push(`    last real boot:  ${verdict.usable ? 'KVM works' : 'KVM UNUSABLE'}: ${verdict.reason}`,
      `                     (${describeVerdictContext(verdict)}; ${kvmVerdictPath(dir, arch.name)})${stale ? ` - stale: ${stale}` : ''}`);
  }
  const plan = planAccel({ policy: 'auto', known: undefined, remembered: verdict && !stale ? verdict : null, probe, kvmFirstOutputMs: arch.kvmFirstOutputMs });
  if (plan.do === 'boot' && plan.accel === 'tcg') {
    const skip = verdict && !stale && !verdict.usable;
    out.push(`    auto uses:       tcg${skip ? ' straight away (no KVM trial: the last real boot failed on this host kernel and qemu;' +
      ` re-checked when they change, after ${KVM_VERDICT_MAX_AGE_MS / (24 * 3600_000)} days, on --accel kvm, or when ${kvmVerdictPath(dir, arch.name)} is deleted)` : `, because: ${probe.reason}`}`);
  } else {
    out.push(`    auto uses:       kvm on trial: the first boot of a run must print within ${(arch.kvmFirstOutputMs / 1000).toFixed(0)} s, else that cell and the rest of the run use TCG`);
  }
  return out;
}

/** Run `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function hoursAgo(ms: number): string {
  return ms < 3600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3600_000)} h`;
}

/** What each suite of configs/debian-archive.yaml offers; an unreachable archive is reported, not fatal. */
async function debianSuitesSection(dir: string): Promise<string[]> {
  let archive: DebianArchive;
  try {
    archive = loadDebianArchive();
  } catch (err) {
    return [`Debian suites: ${(err as Error).message}`];
  }
  const results = await mapLimit(archive.suites, 3, async (suite: DebianSuite): Promise<{ suite: DebianSuite; offer?: SuiteOffer; error?: string }> => {
    try {
      return { suite, offer: await suiteOffer(dir, archive, suite, 'provision') };
    } catch (err) {
      return { suite, error: (err as Error).message };
    }
  });
  const rows = results.map(({ suite, offer, error }) => {
    const from = archive.mirrors[suite.mirror]?.url ?? '?';
    if (!offer) return [`  ${suite.name}`, `UNREACHABLE: ${error ?? '?'}`, from];
    const lists = offer.lists;
    const age = lists.warning ? `(refresh failed: ${lists.warning})` : lists.refreshed ? `(lists fetched now, ${(lists.updateMs / 1000).toFixed(1)} s)` : `(lists ${hoursAgo(lists.ageMs)} old)`;
    return [`  ${suite.name}`, describeOffer(offer.packages), `${from} ${age}`];
  });
  return [
    `Debian suites a source can name with suite: (${archive.file}; downloaded without root, lists in ${dir}/apt/suite-*, refreshed daily):`,
    table(rows),
  ];
}
