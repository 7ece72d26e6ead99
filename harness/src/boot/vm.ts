// Boot a kernel in qemu and wait until its sshd answers. Readiness: the
// guest's init prints "kvmatrix: sshd started" on the serial console; only
// then do we connect (earlier attempts fall into slirp's retry backoff),
// with capped exponential backoff, bounded by the arch's boot timeout.
// Under KVM a silence watchdog runs too: the kernel prints within a second
// when KVM works, so no byte on the serial console for the arch's
// kvmFirstOutputMs means this host's KVM runs no guest (KVM_SILENT), and
// we say so then instead of at the boot timeout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Accel, ArchProfile } from '../arch/profile.ts';
import type { GuestKeys } from '../guest/keys.ts';
import { spawnLongLived, type Spawned } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { GuestSsh } from '../ssh/client.ts';
import { freeLoopbackPort } from './free-port.ts';
import { qemuArgv } from './qemu-argv.ts';
import { findPanic } from '../parse/console.ts';
import { hostVirtFlags, virtFlagsNote } from '../arch/host.ts';

export const SSHD_READY_LINE = 'kvmatrix: sshd started';

export interface BootRequest {
  arch: ArchProfile;
  accel: Accel;
  kernelImage: string;
  initrd: string;
  keys: GuestKeys;
  consoleLogPath: string;
  timeoutMs?: number;
  extraCmdline?: string[];
  onConsoleLine?: (line: string) => void;
  /** The guest's first byte on the serial console, ms after qemu started. */
  onFirstOutput?: (afterMs: number) => void;
  signal?: AbortSignal;
}

export interface BootTimings {
  /** qemu start to the init's ready line. */
  toSshdMs: number;
  /** qemu start to a completed SSH handshake. */
  toSshMs: number;
}

export class Vm {
  constructor(
    readonly qemu: Spawned,
    readonly ssh: GuestSsh,
    readonly port: number,
    readonly timings: BootTimings,
    private readonly consoleText: () => string,
  ) {}

  console(): string {
    return this.consoleText();
  }

  consoleTail(n = 40): string {
    return this.consoleText().split('\n').slice(-n).join('\n');
  }

  /**
   * Power off without trusting the guest: ask for `reboot -f` (qemu runs with
   * -no-reboot, so it exits), then kill the process group after a grace period.
   */
  async shutdown(graceMs = 3000): Promise<void> {
    if (this.qemu.isRunning() && !this.ssh.isClosed()) {
      void this.ssh.exec('sync; reboot -f', { timeoutMs: 1000 }).catch(() => undefined);
      await Promise.race([this.qemu.exited, new Promise((r) => setTimeout(r, graceMs))]);
    }
    this.ssh.close();
    await this.qemu.stop(1000);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function bootVm(req: BootRequest): Promise<Vm> {
  const timeoutMs = req.timeoutMs ?? req.arch.bootTimeoutMs[req.accel];
  mkdirSync(dirname(req.consoleLogPath), { recursive: true });
  writeFileSync(req.consoleLogPath, '');
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await bootOnce(req, timeoutMs);
    } catch (err) {
      lastError = err;
      // Only a lost port race is worth another try; anything else is the answer.
      if (!(err instanceof InfraError && err.code === 'BOOT_PORT_TAKEN')) throw err;
    }
  }
  throw lastError;
}

async function bootOnce(req: BootRequest, timeoutMs: number): Promise<Vm> {
  const port = await freeLoopbackPort();
  const { file, args } = qemuArgv({ arch: req.arch, accel: req.accel, kernelImage: req.kernelImage, initrd: req.initrd, sshPort: port, extraCmdline: req.extraCmdline });
  let consoleText = '';
  let partial = '';
  let sshdStarted = false;
  let panicAt: number | null = null;
  const started = Date.now();
  let toSshdMs = 0;
  let toFirstOutputMs: number | null = null;
  const qemu = spawnLongLived(file, args, {
    logPath: req.consoleLogPath,
    onOutput: (chunk, stream) => {
      // With -nodefaults and -serial stdio, stdout is the guest's serial console and nothing
      // else (SeaBIOS and the option ROMs print nothing there); stderr is qemu's own warnings.
      if (stream === 'stdout' && toFirstOutputMs === null) {
        toFirstOutputMs = Date.now() - started;
        req.onFirstOutput?.(toFirstOutputMs);
      }
      consoleText += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        req.onConsoleLine?.(line);
        if (!sshdStarted && line.includes(SSHD_READY_LINE)) {
          sshdStarted = true;
          toSshdMs = Date.now() - started;
        }
        if (panicAt === null && findPanic(line)) panicAt = Date.now();
      }
    },
  });
  const fail = async (code: string, message: string, hint?: string): Promise<never> => {
    await qemu.stop(500);
    const tail = consoleText.split('\n').slice(-40).join('\n');
    throw new InfraError(code, message, { stage: 'boot', logPath: req.consoleLogPath, logTail: tail, hint });
  };
  const deadline = started + timeoutMs;
  const silenceMs = req.accel === 'kvm' ? Math.min(req.arch.kvmFirstOutputMs, timeoutMs) : null;
  let backoff = 100;
  try {
    for (;;) {
      if (req.signal?.aborted) await fail('ABORTED', 'boot interrupted');
      if (!qemu.isRunning()) {
        const r = await qemu.exited;
        if (/Could not set up host forwarding rule/.test(consoleText)) await fail('BOOT_PORT_TAKEN', `port ${port} was taken before qemu bound it`);
        const panic = findPanic(consoleText);
        if (panic) await fail('BOOT_PANIC', `boot-failed: kernel panic: ${panic}`);
        await fail('BOOT_QEMU_EXITED', `qemu exited during boot (exit ${r.exitCode ?? r.signal}) before the guest's sshd answered`,
          'read the console log; a missing -kernel/-initrd or a bad machine option shows there');
      }
      if (silenceMs !== null && toFirstOutputMs === null && Date.now() - started > silenceMs) {
        const note = virtFlagsNote(hostVirtFlags(req.arch)) || 'nested virtualisation?';
        await fail('KVM_SILENT', `KVM unusable: no console output within ${(silenceMs / 1000).toFixed(0)} s under -accel kvm (${note})`,
          'use --accel auto (falls back to TCG) or --accel tcg; for KVM on a nested host, expose vmx/svm to this VM in the outer hypervisor');
      }
      if (panicAt !== null && Date.now() - panicAt > 1000) {
        await fail('BOOT_PANIC', `boot-failed: kernel panic: ${findPanic(consoleText) ?? ''}`);
      }
      if (Date.now() > deadline) {
        // The guest's init said sshd is up, yet no handshake: our side (slirp, ssh2, keys) failed.
        if (sshdStarted) {
          await fail('SSH_TIMEOUT', `the guest's init reported sshd started, but SSH did not answer within ${(timeoutMs / 1000).toFixed(0)} s`,
            'the console shows a healthy guest: check the host port forwarding and the SSH keys in the cache');
        }
        // Never got as far as init starting sshd: the kernel under test hung (or is too slow for this timeout).
        await fail('BOOT_TIMEOUT', `the kernel did not get to "${SSHD_READY_LINE}" within ${(timeoutMs / 1000).toFixed(0)} s`,
          'the console log shows how far boot got; raise bootTimeoutMs in the arch profile for slow hosts');
      }
      if (!sshdStarted) {
        await delay(50);
        continue;
      }
      try {
        const ssh = await GuestSsh.connect({ port, privateKeyPath: req.keys.clientPrivateKey, hostKeyBlob: req.keys.hostKeyBlob },
          Math.max(1000, Math.min(10_000, deadline - Date.now())));
        return new Vm(qemu, ssh, port, { toSshdMs, toSshMs: Date.now() - started }, () => consoleText);
      } catch (err) {
        if (err instanceof InfraError) await fail(err.code, err.message, err.hint);
        await delay(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  } catch (err) {
    await qemu.stop(500);
    throw err;
  }
}
