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

/** A boot failure: the InfraError code, its message and what to look at. */
interface BootFailure {
  code: string;
  message: string;
  hint?: string;
}

/**
 * What the serial console has shown so far, fed chunk by chunk from qemu's
 * output as it arrives. The boot loop polls it; the Vm keeps reading `text`.
 */
class ConsoleWatch {
  text = '';
  sshdStarted = false;
  toSshdMs = 0;
  toFirstOutputMs: number | null = null;
  panicAt: number | null = null;
  // The last line until its newline arrives: a line split across chunks is matched whole.
  private partial = '';

  constructor(
    private readonly req: BootRequest,
    private readonly started: number,
  ) {}

  take(chunk: string, stream: 'stdout' | 'stderr'): void {
    // With -nodefaults and -serial stdio, stdout is the guest's serial console and nothing
    // else (SeaBIOS and the option ROMs print nothing there); stderr is qemu's own warnings.
    if (stream === 'stdout' && this.toFirstOutputMs === null) {
      this.toFirstOutputMs = Date.now() - this.started;
      this.req.onFirstOutput?.(this.toFirstOutputMs);
    }
    this.text += chunk;
    this.partial += chunk;
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.req.onConsoleLine?.(line);
      if (!this.sshdStarted && line.includes(SSHD_READY_LINE)) {
        this.sshdStarted = true;
        this.toSshdMs = Date.now() - this.started;
      }
      if (this.panicAt === null && findPanic(line)) this.panicAt = Date.now();
    }
  }
}

/** The bounds one boot attempt runs within, all from the moment qemu was started. */
interface BootClock {
  started: number;
  timeoutMs: number;
  deadline: number;
  /** Under KVM: how long the console may stay silent before KVM is declared unusable; null under TCG. */
  silenceMs: number | null;
}

async function bootOnce(req: BootRequest, timeoutMs: number): Promise<Vm> {
  const port = await freeLoopbackPort();
  const { file, args } = qemuArgv({ arch: req.arch, accel: req.accel, kernelImage: req.kernelImage, initrd: req.initrd, sshPort: port, extraCmdline: req.extraCmdline });
  const started = Date.now();
  const watch = new ConsoleWatch(req, started);
  const qemu = spawnLongLived(file, args, {
    logPath: req.consoleLogPath,
    onOutput: (chunk, stream) => watch.take(chunk, stream),
  });
  const fail = async ({ code, message, hint }: BootFailure): Promise<never> => {
    await qemu.stop(500);
    const tail = watch.text.split('\n').slice(-40).join('\n');
    throw new InfraError(code, message, { stage: 'boot', logPath: req.consoleLogPath, logTail: tail, hint });
  };
  const clock: BootClock = {
    started, timeoutMs, deadline: started + timeoutMs,
    silenceMs: req.accel === 'kvm' ? Math.min(req.arch.kvmFirstOutputMs, timeoutMs) : null,
  };
  let backoff = 100;
  try {
    for (;;) {
      const failure = await bootFailure(req, qemu, port, watch, clock);
      if (failure) await fail(failure);
      if (!watch.sshdStarted) {
        await delay(50);
        continue;
      }
      try {
        const ssh = await GuestSsh.connect({ port, privateKeyPath: req.keys.clientPrivateKey, hostKeyBlob: req.keys.hostKeyBlob },
          Math.max(1000, Math.min(10_000, clock.deadline - Date.now())));
        return new Vm(qemu, ssh, port, { toSshdMs: watch.toSshdMs, toSshMs: Date.now() - started }, () => watch.text);
      } catch (err) {
        if (err instanceof InfraError) await fail({ code: err.code, message: err.message, hint: err.hint });
        await delay(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  } catch (err) {
    await qemu.stop(500);
    throw err;
  }
}

/**
 * Why this boot attempt has to stop now, or null while it may go on waiting.
 * The checks run in a fixed order (abort, qemu gone, KVM silence, panic,
 * deadline): when several hold at once, the first one is the reported cause.
 */
async function bootFailure(req: BootRequest, qemu: Spawned, port: number, watch: ConsoleWatch, clock: BootClock): Promise<BootFailure | null> {
  if (req.signal?.aborted) return { code: 'ABORTED', message: 'boot interrupted' };
  if (!qemu.isRunning()) return qemuExitFailure(qemu, port, watch.text);
  if (clock.silenceMs !== null && watch.toFirstOutputMs === null && Date.now() - clock.started > clock.silenceMs) {
    const note = virtFlagsNote(hostVirtFlags(req.arch)) || 'nested virtualisation?';
    return {
      code: 'KVM_SILENT', message: `KVM unusable: no console output within ${(clock.silenceMs / 1000).toFixed(0)} s under -accel kvm (${note})`,
      hint: 'use --accel auto (falls back to TCG) or --accel tcg; for KVM on a nested host, expose vmx/svm to this VM in the outer hypervisor',
    };
  }
  // A second after the panic line, so the console log holds the trace that follows it.
  if (watch.panicAt !== null && Date.now() - watch.panicAt > 1000) {
    return { code: 'BOOT_PANIC', message: `boot-failed: kernel panic: ${findPanic(watch.text) ?? ''}` };
  }
  if (Date.now() > clock.deadline) return deadlineFailure(watch.sshdStarted, clock.timeoutMs);
  return null;
}

/** qemu exited before the guest's sshd answered: a lost port race, a panic, or qemu's own failure. */
async function qemuExitFailure(qemu: Spawned, port: number, consoleText: string): Promise<BootFailure> {
  const r = await qemu.exited;
  if (/Could not set up host forwarding rule/.test(consoleText)) return { code: 'BOOT_PORT_TAKEN', message: `port ${port} was taken before qemu bound it` };
  const panic = findPanic(consoleText);
  if (panic) return { code: 'BOOT_PANIC', message: `boot-failed: kernel panic: ${panic}` };
  return {
    code: 'BOOT_QEMU_EXITED', message: `qemu exited during boot (exit ${r.exitCode ?? r.signal}) before the guest's sshd answered`,
    hint: 'read the console log; a missing -kernel/-initrd or a bad machine option shows there',
  };
}

/** The boot timeout ran out; whose side failed depends on whether the guest's init got to start sshd. */
function deadlineFailure(sshdStarted: boolean, timeoutMs: number): BootFailure {
  // The guest's init said sshd is up, yet no handshake: our side (slirp, ssh2, keys) failed.
  if (sshdStarted) {
    return {
      code: 'SSH_TIMEOUT', message: `the guest's init reported sshd started, but SSH did not answer within ${(timeoutMs / 1000).toFixed(0)} s`,
      hint: 'the console shows a healthy guest: check the host port forwarding and the SSH keys in the cache',
    };
  }
  // Never got as far as init starting sshd: the kernel under test hung (or is too slow for this timeout).
  return {
    code: 'BOOT_TIMEOUT', message: `the kernel did not get to "${SSHD_READY_LINE}" within ${(timeoutMs / 1000).toFixed(0)} s`,
    hint: 'the console log shows how far boot got; raise bootTimeoutMs in the arch profile for slow hosts',
  };
}
