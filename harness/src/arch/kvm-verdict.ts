// The last real-boot verdict on this host's KVM, per arch, kept in the cache
// ($KVMATRIX_CACHE_DIR/host/kvm-<arch>.json) so doctor can show it and
// `--accel auto` can skip a KVM it already saw fail. A verdict holds only
// for the host facts it was found under (host name, host kernel, qemu
// version, device, CPU virtualisation flags) and for a bounded time.
import { join } from 'node:path';
import type { HostFacts } from './host.ts';
import { readJson, writeFileAtomically } from '../util/fs.ts';

export const KVM_VERDICT_SCHEMA = 1;

/** A failure verdict is re-checked at least this often even when nothing visible changed. */
export const KVM_VERDICT_MAX_AGE_MS = 7 * 24 * 3600_000;

export interface KvmVerdict {
  schema: typeof KVM_VERDICT_SCHEMA;
  arch: string;
  usable: boolean;
  /** "verified by a real boot ..." or why KVM could not run a kernel. */
  reason: string;
  /** The cell whose boot settled it. */
  cell: string | null;
  host: HostFacts;
  /** ISO time. */
  at: string;
}

export function kvmVerdictPath(cacheDir: string, arch: string): string {
  return join(cacheDir, 'host', `kvm-${arch}.json`);
}

export async function readKvmVerdict(cacheDir: string, arch: string): Promise<KvmVerdict | null> {
  const v = await readJson<KvmVerdict>(kvmVerdictPath(cacheDir, arch));
  // Anything unreadable or from another schema is as good as no record: the next boot rewrites it.
  if (!v || v.schema !== KVM_VERDICT_SCHEMA || typeof v.usable !== 'boolean' || !v.host) return null;
  return v;
}

export async function writeKvmVerdict(cacheDir: string, verdict: KvmVerdict): Promise<void> {
  await writeFileAtomically(kvmVerdictPath(cacheDir, verdict.arch), `${JSON.stringify(verdict, null, 2)}\n`);
}

/** Why a verdict no longer describes this host (null: it still does). Pure. */
export function verdictStaleness(v: KvmVerdict, now: HostFacts, nowMs: number, maxAgeMs = KVM_VERDICT_MAX_AGE_MS): string | null {
  const was = v.host;
  if (was.hostname !== now.hostname) return `recorded on another host (${was.hostname})`;
  if (was.hostKernel !== now.hostKernel) return `host kernel changed (${was.hostKernel} -> ${now.hostKernel})`;
  if (was.qemuVersion !== now.qemuVersion) return `qemu changed (${was.qemuVersion ?? '?'} -> ${now.qemuVersion ?? '?'})`;
  if (was.kvmDevice !== now.kvmDevice) return `KVM device changed (${was.kvmDevice} -> ${now.kvmDevice})`;
  if ([...was.virtFlags].sort().join(' ') !== [...now.virtFlags].sort().join(' ')) {
    return `CPU virtualisation flags changed ([${was.virtFlags.join(' ')}] -> [${now.virtFlags.join(' ')}])`;
  }
  const at = Date.parse(v.at);
  if (!Number.isFinite(at)) return 'no valid time';
  if (nowMs - at > maxAgeMs) return `older than ${Math.round(maxAgeMs / (24 * 3600_000))} days`;
  return null;
}

/** "2026-12-01 15:40 UTC, host kernel 6.18.4, qemu 7.2.22" */
export function describeVerdictContext(v: KvmVerdict): string {
  const at = v.at.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  return `${at}${v.cell ? ` by ${v.cell}` : ''}, host kernel ${v.host.hostKernel}, qemu ${v.host.qemuVersion ?? '?'}`;
}
