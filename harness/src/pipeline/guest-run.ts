// The boot, run and parse stages of a cell: boot the kernel, run each
// program over SSH, turn its output into cases. One more boot when the
// infrastructure (not the kernel) failed; the second outcome is final.
// Returns what happened as a value; the cell assembles its record from it.
import { join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Accel, ArchProfile } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { qemuVersion } from '../arch/qemu-version.ts';
import { InfraError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import { runStage } from '../stage.ts';
import type { CellState, ErrorRecord, StageRecord, SuiteRun } from '../results/types.ts';
import { fileBaseName } from '../results/paths.ts';
import type { GuestImage } from '../guest/image.ts';
import type { BootTimings, Vm } from '../boot/vm.ts';
import { bootWithPolicy } from '../boot/accel-boot.ts';
import { findPanic, scanConsole, type ConsoleFinding } from '../parse/console.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { casesFromOutput } from './suites.ts';
import { stateForFailure, worthRetry } from './classify.ts';
import { errorRecord, type Runnable } from './programs.ts';

export interface GuestRunRequest {
  arch: ArchProfile;
  kernelImage: string;
  image: GuestImage;
  runnables: Runnable[];
  cellDir: string;
  accel: AccelPolicy;
  bootMs?: number;
  /** Extra kernel command line (fault tests). */
  extraCmdline?: string[];
}

export interface GuestRun {
  state: CellState;
  error: ErrorRecord | null;
  accel: Accel | null;
  accelReason: string | null;
  qemuVersion: string | null;
  boot: BootTimings | null;
  suites: SuiteRun[];
  /** Boot and run stages of every attempt, in order. */
  stages: StageRecord[];
  console: { log: string; findings: ConsoleFinding[] };
}

export async function runInGuest(ctx: Ctx, req: GuestRunRequest): Promise<GuestRun> {
  const first = await attempt(ctx, req, 1);
  if (!first.retry) return first.run;
  ctx.report({ kind: 'warn', cell: ctx.cell, text: `infrastructure error (${first.run.error?.code}); booting once more` });
  const second = await attempt(ctx, req, 2);
  return { ...second.run, stages: [...first.run.stages, ...second.run.stages] };
}

async function attempt(ctx: Ctx, req: GuestRunRequest, n: number): Promise<{ run: GuestRun; retry: boolean }> {
  const rel = (p: string) => relative(req.cellDir, p);
  const consoleLog = join(req.cellDir, n === 1 ? 'console.log' : `console.attempt${n}.log`);
  const out: GuestRun = {
    state: 'ok', error: null, accel: null, accelReason: null, qemuVersion: await qemuVersion(req.arch.qemu.binary),
    boot: null, suites: [], stages: [], console: { log: rel(consoleLog), findings: [] },
  };
  const failed = (state: CellState, error: ErrorRecord) => {
    out.state = state;
    out.error = error;
    return { run: out, retry: worthRetry(state) && n === 1 };
  };
  let vm: Vm | undefined;
  try {
    const boot = await runStage(ctx, 'boot', `--accel ${req.accel}`, () => bootWithPolicy({
      policy: req.accel, cacheDir: ctx.cacheDir, cell: ctx.cell, report: ctx.report,
      onAccel: (accel, reason) => { out.accel = accel; out.accelReason = reason; },
      arch: req.arch, kernelImage: req.kernelImage, initrd: req.image.initrdPath, keys: req.image.keys, consoleLogPath: consoleLog,
      timeoutMs: req.bootMs, extraCmdline: req.extraCmdline, signal: ctx.signal,
    }).then((b) => b.vm), consoleLog);
    out.stages.push({ stage: 'boot', status: boot.status, durationMs: boot.durationMs, log: rel(consoleLog) });
    if (boot.status === 'failed' || !boot.output) {
      const err = boot.error ?? new InfraError('BOOT_FAILED', 'boot failed', { stage: 'boot' });
      return failed(stateForFailure('boot', err), errorRecord(err));
    }
    vm = boot.output;
    out.boot = vm.timings;
    for (const prog of req.runnables) {
      const step = await runProgram(ctx, vm, prog, req.cellDir);
      out.stages.push(step.stage);
      if (step.suite) out.suites.push(step.suite);
      if (!step.trouble) continue;
      if (step.trouble.state === 'timeout' && step.guestAlive) {
        // Reported with the console tail; the remaining programs still run while the guest answers.
        out.state = step.trouble.state;
        out.error = step.trouble.error;
        continue;
      }
      return failed(step.trouble.state, step.trouble.error);
    }
    return { run: out, retry: false };
  } finally {
    if (vm) await vm.shutdown();
    out.console.findings = scanConsole(await readFile(consoleLog, 'utf8').catch(() => ''));
  }
}

interface ProgramStep {
  stage: StageRecord;
  suite: SuiteRun | null;
  /** Set when the program did not end normally: what that means for the cell. */
  trouble?: { state: CellState; error: ErrorRecord };
  guestAlive?: boolean;
}

/** Run one program in the guest and read its output; a lost guest is told apart by its console. */
async function runProgram(ctx: Ctx, vm: Vm, prog: Runnable, cellDir: string): Promise<ProgramStep> {
  const fileBase = fileBaseName(prog.label);
  const outLog = join(cellDir, `${fileBase}.out`);
  const run = await runStage(ctx, 'run', prog.label, async () => {
    let setupLog = '';
    for (const line of prog.setup) {
      const s = await vm.ssh.exec(line, { timeoutMs: 30_000 });
      setupLog += `# setup: ${line} -> exit ${s.exitCode}${s.stderr ? `: ${s.stderr.trim()}` : ''}\n`;
    }
    const remote = `/tmp/${fileBase}`;
    await vm.ssh.upload(prog.path, remote);
    const r = await vm.ssh.exec([remote, ...prog.args].map(shellQuote).join(' '), { timeoutMs: prog.timeoutMs });
    await writeFileAtomically(outLog, setupLog + r.stdout + (r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''));
    return r;
  }, outLog);
  const stage: StageRecord = { stage: 'run', status: run.status, durationMs: run.durationMs, log: relative(cellDir, outLog) };
  if (run.status === 'failed' || !run.output) {
    const err = run.error ?? new InfraError('RUN_FAILED', 'suite run failed', { stage: 'run' });
    return { stage, suite: null, trouble: { state: 'infra-error', error: errorRecord(err) } };
  }
  const r = run.output;
  const parsed = casesFromOutput({ label: prog.label, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, disconnected: r.disconnected });
  const suite: SuiteRun = { suite: prog.label, exitCode: r.exitCode, signal: parsed.signal, timedOut: r.timedOut, disconnected: r.disconnected, durationMs: r.durationMs, outputLog: relative(cellDir, outLog), ktap: parsed.ktap, cases: parsed.cases };
  if (r.timedOut) {
    const secs = (prog.timeoutMs / 1000).toFixed(0);
    for (const c of suite.cases) if (c.outcome === 'error') c.reason = `timed out after ${secs} s`;
    const alive = await vm.ssh.exec('true', { timeoutMs: 5000 });
    const error: ErrorRecord = { kind: 'user', code: 'SUITE_TIMEOUT', stage: 'run', message: `${prog.label} did not finish within ${secs} s`, logTail: vm.consoleTail(40) };
    return { stage, suite, trouble: { state: stateForFailure('run', error), error }, guestAlive: alive.exitCode === 0 };
  }
  if (r.disconnected) return { stage, suite, trouble: await lostGuest(vm, prog.label) };
  return { stage, suite };
}

/** SSH went away mid-program: a kernel panic on the console is the kernel's answer; otherwise the infrastructure failed. */
async function lostGuest(vm: Vm, label: string): Promise<{ state: CellState; error: ErrorRecord }> {
  // Give the console a moment: a panic is printed before qemu exits.
  await Promise.race([vm.qemu.exited, new Promise((res) => setTimeout(res, 1000))]);
  const panic = findPanic(vm.console());
  const error: ErrorRecord = panic
    ? { kind: 'user', code: 'KERNEL_PANIC', stage: 'run', message: `guest kernel panicked while ${label} ran: ${panic}`, logTail: vm.consoleTail(40) }
    : { kind: 'infra', code: 'SSH_LOST', stage: 'run', message: `SSH connection lost while ${label} ran (${vm.qemu.isRunning() ? 'qemu still running: sshd died?' : 'qemu exited'})`, logTail: vm.consoleTail(40) };
  return { state: stateForFailure('run', error), error };
}
