// Which accelerator a boot uses, as a pure function of what is known: the
// policy, what this run already learned about KVM, the last real-boot
// verdict on disk and the paused-VM probe. The caller (accel-boot.ts) does
// the I/O the plan asks for ('recall', 'probe', 'wait') and asks again.
//
//  - tcg: always TCG.
//  - auto: KVM is on trial until a boot shows the kernel's console; one cell
//    runs the trial, concurrent cells wait for it; silence for the arch's
//    kvmFirstOutputMs marks KVM unusable for the rest of the run, and the
//    verdict on disk skips KVM in later runs on the same host kernel + qemu.
//  - kvm: strict. Never falls back; fails naming the reason. Ignores the
//    verdict on disk (an explicit KVM boot is how it is re-checked).
import type { AccelPolicy, KvmStatus } from '../arch/host.ts';
import { describeVerdictContext, type KvmVerdict } from '../arch/kvm-verdict.ts';

/** What this run has learned about KVM for one arch. */
export type RunTrust =
  | { state: 'trial'; cell: string | null; settled: Promise<void> }
  | { state: 'trusted'; reason: string }
  | { state: 'unusable'; reason: string; cell: string | null };

export interface PlanInput {
  policy: AccelPolicy;
  known: RunTrust | undefined;
  /** The verdict on disk if it still describes this host; null: none or stale; undefined: not read yet. */
  remembered: KvmVerdict | null | undefined;
  /** The paused-VM probe; undefined: not run yet. */
  probe: KvmStatus | undefined;
  kvmFirstOutputMs: number;
}

export type AccelPlan =
  | { do: 'boot'; accel: 'tcg'; reason: string }
  /** trial: the first KVM boot of the run, whose console decides for every cell. */
  | { do: 'boot'; accel: 'kvm'; reason: string; trial: boolean }
  | { do: 'recall' }
  | { do: 'probe' }
  | { do: 'wait'; settled: Promise<void> }
  | { do: 'fail'; reason: string };

export function planAccel(input: PlanInput): AccelPlan {
  const { policy, known, remembered, probe } = input;
  const window = `${(input.kvmFirstOutputMs / 1000).toFixed(0)} s`;
  if (policy === 'tcg') return { do: 'boot', accel: 'tcg', reason: 'requested' };
  if (known?.state === 'unusable') {
    const by = known.cell ? ` (found by ${known.cell} in this run)` : '';
    return policy === 'kvm' ? { do: 'fail', reason: `${known.reason}${by}` } : { do: 'boot', accel: 'tcg', reason: `${known.reason}${by}` };
  }
  if (known?.state === 'trial') return { do: 'wait', settled: known.settled };
  if (known?.state === 'trusted') return { do: 'boot', accel: 'kvm', reason: known.reason, trial: false };
  if (policy === 'auto') {
    if (remembered === undefined) return { do: 'recall' };
    if (remembered && !remembered.usable) {
      return { do: 'boot', accel: 'tcg', reason: `KVM skipped: the last real boot on this host failed (${describeVerdictContext(remembered)}): ${remembered.reason}; re-checked when host kernel or qemu change` };
    }
  }
  if (probe === undefined) return { do: 'probe' };
  if (!probe.usable) return policy === 'kvm' ? { do: 'fail', reason: probe.reason } : { do: 'boot', accel: 'tcg', reason: probe.reason };
  const verified = policy === 'auto' && remembered?.usable ? ` (last real boot: ${remembered.reason}, ${describeVerdictContext(remembered)})` : '';
  const onSilence = policy === 'auto' ? 'TCG for the rest of the run' : 'a failed boot (strict --accel kvm)';
  return { do: 'boot', accel: 'kvm', trial: true, reason: `${probe.reason}${verified}; on trial: ${window} without console output means ${onSilence}` };
}
