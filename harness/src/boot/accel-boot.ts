// Boot under the accelerator the policy allows, trusting KVM only once it has
// run a guest. A /dev/kvm that opens and a qemu that starts a paused KVM vCPU
// are not enough: on a nested host without vmx/svm both hold and the guest
// then prints nothing at all. So the first KVM boot of a run is a trial
// (accel-policy.ts): the kernel's first console byte makes KVM trusted for
// the run; silence for the arch's kvmFirstOutputMs (vm.ts: KVM_SILENT) kills
// that qemu, marks KVM unusable for the rest of the run and boots the same
// cell under TCG (auto) or fails naming the reason (--accel kvm). The verdict
// goes to the cache (for doctor and later runs) only once the same kernel has
// printed under TCG: a kernel that dies before its console would be silent
// under any accelerator, and must not get KVM blamed for days.
import { copyFile } from 'node:fs/promises';
import type { Accel } from '../arch/profile.ts';
import { hostFacts, kvmStatus, kvmUnusableError, type AccelPolicy, type KvmStatus } from '../arch/host.ts';
import { KVM_VERDICT_SCHEMA, readKvmVerdict, verdictStaleness, writeKvmVerdict, type KvmVerdict } from '../arch/kvm-verdict.ts';
import { InfraError } from '../errors.ts';
import type { Reporter } from '../progress.ts';
import { bootVm, type BootRequest, type Vm } from './vm.ts';
import { planAccel, type RunTrust } from './accel-policy.ts';

export interface PolicyBootRequest extends Omit<BootRequest, 'accel'> {
  policy: AccelPolicy;
  /** The cache dir: the KVM verdict lives under host/ there. */
  cacheDir: string;
  /** Cell label, for progress lines and the verdict. */
  cell?: string;
  report?: Reporter;
  /** The accelerator about to be used and why; called again when that changes (fallback, verification). */
  onAccel?: (accel: Accel, reason: string) => void;
}

export interface PolicyBoot {
  vm: Vm;
  accel: Accel;
  reason: string;
}

// What this process (one kvmatrix run) learned, per arch. Shared by every
// cell, so concurrent cells wait for one trial instead of each paying it.
const trust = new Map<string, RunTrust>();
const recalled = new Map<string, Promise<KvmVerdict | null>>();
const verifiedThisRun = new Set<string>();

/** Forget what this process learned about KVM (tests). */
export function forgetKvmTrust(): void {
  trust.clear();
  recalled.clear();
  verifiedThisRun.clear();
}

/** The verdict on disk, once per run, only if it still describes this host. */
function recall(req: PolicyBootRequest): Promise<KvmVerdict | null> {
  const key = `${req.cacheDir}\0${req.arch.name}`;
  let verdict = recalled.get(key);
  if (!verdict) {
    verdict = Promise.all([readKvmVerdict(req.cacheDir, req.arch.name), hostFacts(req.arch)])
      .then(([v, facts]) => (v && verdictStaleness(v, facts, Date.now()) === null ? v : null));
    recalled.set(key, verdict);
  }
  return verdict;
}

export async function bootWithPolicy(req: PolicyBootRequest): Promise<PolicyBoot> {
  let remembered: KvmVerdict | null | undefined;
  let probe: KvmStatus | undefined;
  for (;;) {
    const plan = planAccel({ policy: req.policy, known: trust.get(req.arch.name), remembered, probe, kvmFirstOutputMs: req.arch.kvmFirstOutputMs });
    switch (plan.do) {
      case 'recall':
        remembered = await recall(req);
        continue;
      case 'probe':
        probe = await kvmStatus(req.arch);
        continue;
      case 'wait':
        say(req, 'info', 'waiting for another cell\'s KVM trial boot');
        await plan.settled;
        continue;
      case 'fail':
        req.onAccel?.('kvm', plan.reason);
        throw kvmUnusableError(req.arch, plan.reason);
      case 'boot': {
        if (plan.accel === 'tcg') return bootTcg(req, plan.reason);
        if (!plan.trial) return bootKvm(req, plan.reason, null);
        // No await between the plan and this: exactly one cell starts the trial.
        let settle!: () => void;
        const trial: RunTrust = { state: 'trial', cell: req.cell ?? null, settled: new Promise<void>((r) => { settle = r; }) };
        trust.set(req.arch.name, trial);
        return bootKvm(req, plan.reason, { trial, settle });
      }
    }
  }
}

function say(req: PolicyBootRequest, kind: 'info' | 'warn', text: string): void {
  req.report?.({ kind, cell: req.cell, stage: 'boot', text });
}

function plainBootRequest(req: PolicyBootRequest, accel: Accel): BootRequest {
  const { policy: _p, cacheDir: _c, cell: _l, report: _r, onAccel: _a, ...boot } = req;
  return { ...boot, accel };
}

async function bootTcg(req: PolicyBootRequest, reason: string, onFirstOutput?: () => void): Promise<PolicyBoot> {
  req.onAccel?.('tcg', reason);
  const boot = plainBootRequest(req, 'tcg');
  if (onFirstOutput) {
    boot.onFirstOutput = (ms) => {
      onFirstOutput();
      req.onFirstOutput?.(ms);
    };
  }
  return { vm: await bootVm(boot), accel: 'tcg', reason };
}

/** The trial boot this cell runs for the arch, and how to wake the cells waiting on it. */
interface KvmTrial {
  trial: RunTrust;
  settle: () => void;
}

async function bootKvm(req: PolicyBootRequest, reason: string, trial: KvmTrial | null): Promise<PolicyBoot> {
  const arch = req.arch.name;
  const started = Date.now();
  let firstOutputMs: number | null = null;
  req.onAccel?.('kvm', reason);
  try {
    const vm = await bootVm({
      ...plainBootRequest(req, 'kvm'),
      onFirstOutput: (ms) => {
        firstOutputMs = ms;
        if (trial && trust.get(arch) === trial.trial) {
          trust.set(arch, { state: 'trusted', reason: `KVM verified by a real boot in this run (${req.cell ?? 'a cell'}: console after ${seconds(ms)})` });
        }
        trial?.settle();
        req.onFirstOutput?.(ms);
      },
    });
    const verified = `verified by a real boot: kernel console after ${seconds(firstOutputMs ?? 0)}, SSH after ${seconds(vm.timings.toSshMs)}`;
    if (!verifiedThisRun.has(arch)) {
      verifiedThisRun.add(arch);
      await recordVerdict(req, true, verified);
    }
    const finalReason = `KVM ${verified}`;
    req.onAccel?.('kvm', finalReason);
    return { vm, accel: 'kvm', reason: finalReason };
  } catch (err) {
    if (!(err instanceof InfraError && err.code === 'KVM_SILENT')) {
      // Not an answer about KVM (port race, abort, a kernel that panics): let the next boot try again.
      if (trial && trust.get(arch) === trial.trial) trust.delete(arch);
      trial?.settle();
      throw err;
    }
    return afterSilentKvm(req, err, Date.now() - started, trial);
  }
}

/**
 * KVM stayed silent: mark it unusable for the rest of the run, wake the cells
 * waiting on this trial, then fail (strict --accel kvm) or boot the same cell
 * under TCG.
 */
async function afterSilentKvm(req: PolicyBootRequest, err: InfraError, lostMs: number, trial: KvmTrial | null): Promise<PolicyBoot> {
  const unusable: RunTrust = { state: 'unusable', reason: err.message, cell: req.cell ?? null };
  trust.set(req.arch.name, unusable);
  trial?.settle();
  // bootVm starts the console log afresh: keep the silent attempt's (its qemu command line) next to it.
  await copyFile(req.consoleLogPath, req.consoleLogPath.replace(/(\.log)?$/, '.kvm-silent.log')).catch(() => undefined);
  if (req.policy === 'kvm') {
    throw new InfraError('KVM_SILENT', `--accel kvm requested for ${req.arch.name} but ${err.message}`, {
      stage: 'boot', cause: err, logPath: err.logPath, logTail: err.logTail, hint: err.hint,
    });
  }
  return fallBackToTcg(req, err, lostMs, unusable);
}

/**
 * Boot the cell under TCG after a silent KVM boot. Whether this kernel prints
 * under TCG decides who was to blame: if it does, KVM's verdict goes to the
 * cache; if not, the kernel was silent anyway and KVM gets another chance.
 */
async function fallBackToTcg(req: PolicyBootRequest, err: InfraError, lostMs: number, unusable: RunTrust): Promise<PolicyBoot> {
  const reason = `fell back to TCG after ${seconds(lostMs)} under KVM: ${err.message}`;
  say(req, 'warn', reason);
  let printed = false;
  let booted: PolicyBoot | undefined;
  let failure: unknown;
  try {
    booted = await bootTcg(req, reason, () => { printed = true; });
  } catch (tcgErr) {
    failure = tcgErr;
  }
  if (printed) {
    await recordVerdict(req, false, `${err.message}; the same kernel printed under TCG`);
  } else if (trust.get(req.arch.name) === unusable) {
    trust.delete(req.arch.name);
    say(req, 'warn', 'KVM verdict inconclusive: this kernel printed nothing under TCG either; the next boot tries KVM again');
  }
  if (booted) return booted;
  throw failure;
}

async function recordVerdict(req: PolicyBootRequest, usable: boolean, reason: string): Promise<void> {
  try {
    const verdict: KvmVerdict = {
      schema: KVM_VERDICT_SCHEMA, arch: req.arch.name, usable, reason, cell: req.cell ?? null,
      host: await hostFacts(req.arch), at: new Date().toISOString(),
    };
    await writeKvmVerdict(req.cacheDir, verdict);
  } catch (err) {
    // A read-only cache costs the next run one trial boot, nothing more.
    say(req, 'warn', `could not record the KVM verdict in ${req.cacheDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
