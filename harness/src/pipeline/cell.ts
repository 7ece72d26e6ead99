// One cell of the matrix: (kernel, arch, variant) through every stage:
// source -> patch/build -> image -> selftest build -> boot -> run -> parse.
// The cell's raw records (build log, console, suite output) are kept in its
// directory so the verdict can be re-derived offline.
import { join, relative } from 'node:path';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { getArch, type ArchProfile } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { KvmatrixError, InfraError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import { runStage, type StageResult } from '../stage.ts';
import type { CellPlan, MatrixConfig, SuiteEntry } from '../plan/config.ts';
import type { CellResult, ErrorRecord, ProgramStatus, StageRecord, SuiteRun } from '../results/types.ts';
import { RESULTS_SCHEMA } from '../results/types.ts';
import { fetchSource } from '../source/fetch.ts';
import { loadPatchFiles } from '../patch/series.ts';
import { buildKernel } from '../kbuild/build-kernel.ts';
import { buildGuestImage } from '../guest/image.ts';
import { buildSelftest } from '../guest/selftest-build.ts';
import type { Vm } from '../boot/vm.ts';
import { bootWithPolicy } from '../boot/accel-boot.ts';
import { findPanic, scanConsole } from '../parse/console.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { casesFromOutput } from './suites.ts';
import { qemuVersion } from '../arch/qemu-version.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { fileBaseName } from '../results/paths.ts';
import { resolve } from 'node:path';
import type { KernelSource } from '../source/types.ts';
import { loadKselftestCatalog } from '../kselftest/catalog.ts';
import { compileKselftests, planKselftests } from '../kselftest/build.ts';
import { stateForFailure, worthRetry } from './classify.ts';

export interface CellRequest {
  plan: CellPlan;
  config: MatrixConfig;
  cellDir: string;
  accel: AccelPolicy;
  rebuild?: boolean;
  /** Extra kernel command line (fault tests). */
  extraCmdline?: string[];
}

function errorRecord(err: KvmatrixError): ErrorRecord {
  return { kind: err.kind, code: err.code, stage: err.stage, message: err.message, hint: err.hint, logTail: err.logTail };
}

/** One program to run in the guest; a suite is one (our selftest) or many (kselftests). */
export interface Runnable {
  /** Prefix of its case ids: "softdirty-uffdwp" or "kselftest-mm/soft-dirty". */
  label: string;
  path: string;
  args: string[];
  timeoutMs: number;
  setup: string[];
}

interface SuitePrograms {
  runnables: Runnable[];
  /** Every program of every suite, with what became of it; the comparison needs all of them. */
  programs: ProgramStatus[];
  /** Programs that do not apply to this tree/arch: reported as skips with the reason, never dropped. */
  skipped: { label: string; reason: string }[];
}

/**
 * Build one suite's programs. A failure is that suite's result (every program
 * of it 'not-built', with the error), never the end of the cell: the other
 * suites still run.
 */
async function suitePrograms(ctx: Ctx, cfg: MatrixConfig, arch: ArchProfile, source: KernelSource, suite: SuiteEntry, logPath: string): Promise<SuitePrograms> {
  const ready = (label: string): ProgramStatus => ({ label, status: 'ready' });
  switch (suite.kind) {
    case 'binary':
      return { runnables: [{ label: suite.name, path: resolve(cfg.baseDir, suite.path), args: suite.args, timeoutMs: suite.timeoutMs, setup: [] }], programs: [ready(suite.name)], skipped: [] };
    case 'c-source': {
      try {
        const bin = await buildSelftest(ctx.cacheDir, arch, resolve(cfg.baseDir, suite.source), logPath);
        return { runnables: [{ label: suite.name, path: bin.path, args: suite.args, timeoutMs: suite.timeoutMs, setup: [] }], programs: [ready(suite.name)], skipped: [] };
      } catch (err) {
        return { runnables: [], programs: [notBuilt(suite.name, err)], skipped: [] };
      }
    }
    case 'kselftest': {
      const label = (name: string) => `${suite.name}/${name}`;
      let plan: ReturnType<typeof planKselftests>;
      try {
        const catalog = loadKselftestCatalog(resolve(cfg.baseDir, suite.catalog)).filter((p) => !suite.only || suite.only.includes(p.name));
        plan = planKselftests(source, arch, catalog);
      } catch (err) {
        return { runnables: [], programs: [notBuilt(suite.name, err)], skipped: [] };
      }
      const skippedAtPlan = plan.skipped.map((k) => ({ label: label(k.name), reason: k.reason }));
      const asSkipped = (k: { label: string }): ProgramStatus => ({ label: k.label, status: 'skipped' });
      try {
        const { built, skipped } = await compileKselftests(ctx.cacheDir, source, arch, plan.planned, logPath);
        const skippedAll = [...skippedAtPlan, ...skipped.map((k) => ({ label: label(k.name), reason: k.reason }))];
        return {
          runnables: built.map((b) => ({ label: label(b.name), path: b.path, args: b.args, timeoutMs: b.timeoutMs, setup: b.setup })),
          programs: [...built.map((b) => ready(label(b.name))), ...skippedAll.map(asSkipped)],
          skipped: skippedAll,
        };
      } catch (err) {
        return { runnables: [], programs: [...plan.planned.map((p) => notBuilt(label(p.program.name), err)), ...skippedAtPlan.map(asSkipped)], skipped: skippedAtPlan };
      }
    }
  }
}

function notBuilt(label: string, err: unknown): ProgramStatus {
  const e = err instanceof KvmatrixError ? err : new InfraError('INTERNAL', `building ${label} failed: ${err instanceof Error ? err.message : String(err)}`, { stage: 'selftest-build', cause: err });
  return { label, status: 'not-built', error: errorRecord(e) };
}

export async function runCell(parent: Ctx, req: CellRequest): Promise<CellResult> {
  const { plan, config } = req;
  const ctx: Ctx = { ...parent, cell: plan.id };
  const startedAt = new Date();
  const dir = req.cellDir;
  await mkdir(dir, { recursive: true });
  const rel = (p: string) => relative(dir, p);
  const stages: StageRecord[] = [];
  const result: CellResult = {
    schema: RESULTS_SCHEMA,
    id: plan.id,
    kernel: { id: plan.kernel.id, identity: null, version: null, release: null },
    arch: plan.arch,
    variant: { name: plan.variant.name, patches: [] },
    repeat: plan.repeat,
    accel: null,
    accelReason: null,
    qemuVersion: null,
    state: 'ok',
    error: null,
    stages,
    build: null,
    boot: null,
    suites: [],
    programs: null,
    console: { log: null, findings: [] },
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationMs: 0,
  };
  const record = <T>(r: StageResult<T>): T | undefined => {
    stages.push({ stage: r.stage, status: r.status, durationMs: r.durationMs, log: r.logPath ? rel(r.logPath) : undefined });
    if (r.status === 'failed' && r.error) {
      result.state = stateForFailure(r.stage, r.error);
      result.error = errorRecord(r.error);
      return undefined;
    }
    return r.output;
  };
  const finish = async (): Promise<CellResult> => {
    result.finishedAt = new Date().toISOString();
    result.durationMs = Date.now() - startedAt.getTime();
    await writeFileAtomically(join(dir, 'result.json'), JSON.stringify(result, null, 2));
    return result;
  };

  const buildLog = join(dir, 'build.log');
  let arch: ArchProfile;
  try {
    arch = getArch(plan.arch);
  } catch (err) {
    record({ stage: 'cli', status: 'failed', durationMs: 0, error: err as KvmatrixError });
    return finish();
  }
  const source = record(await runStage(ctx, 'source', plan.kernel.source.provider, () => fetchSource(ctx, plan.kernel.source, join(dir, 'source.log')), join(dir, 'source.log')));
  if (!source) return finish();
  result.kernel.identity = source.identity;
  result.kernel.version = source.kernelVersion;

  const patches = record(await runStage(ctx, 'patch', `${plan.variant.patches.length} patch file(s)`, () => loadPatchFiles(plan.variant.patches, config.baseDir)));
  if (!patches) return finish();
  result.variant.patches = patches.map((p) => ({ path: relative(config.baseDir, p.path), sha256: p.sha256, subjects: p.messages.map((m) => m.subject) }));

  const build = record(await runStage(ctx, 'build', `${source.kernelVersion} ${arch.name} ${plan.variant.name}`,
    () => buildKernel(ctx, { source, arch, variant: plan.variant.name, patches, rebuild: req.rebuild, logPath: buildLog }), buildLog));
  if (!build) {
    // The patch stage runs inside the build's work tree: attribute failures to it.
    if (result.error?.stage === 'patch') {
      const last = stages[stages.length - 1];
      if (last) last.stage = 'patch';
      result.state = 'patch-failed';
    }
    return finish();
  }
  result.kernel.release = build.meta.release;
  result.build = { key: build.key, cached: build.cached, durationMs: build.meta.durationMs, incremental: build.meta.incremental, compiledObjects: build.meta.compiledObjects.length, configSha256: build.meta.configSha256 };
  await copyFile(join(build.dir, 'config'), join(dir, 'kernel.config'));
  // A cached build still leaves its log with the cell: every verdict keeps its evidence.
  if (build.cached) await copyFile(join(build.dir, 'build.log'), buildLog);

  const imageLog = join(dir, 'image.log');
  const image = record(await runStage(ctx, 'image', arch.debianArch, () => buildGuestImage(ctx, arch, imageLog), imageLog));
  if (!image) return finish();

  const selftestLog = join(dir, 'selftest-build.log');
  const programs = record(await runStage(ctx, 'selftest-build', config.suites.map((s) => s.name).join(', '), async () => {
    const out: SuitePrograms = { runnables: [], programs: [], skipped: [] };
    for (const suite of config.suites) {
      const p = await suitePrograms(ctx, config, arch, source, suite, selftestLog);
      for (const failed of p.programs.filter((x) => x.status === 'not-built')) {
        ctx.report({ kind: 'warn', cell: plan.id, text: `${failed.label} not built: [${failed.error?.code}] ${failed.error?.message.split('\n')[0]}` });
      }
      out.runnables.push(...p.runnables);
      out.programs.push(...p.programs);
      out.skipped.push(...p.skipped);
    }
    return out;
  }, selftestLog));
  if (!programs) return finish();
  result.programs = programs.programs;

  // Boot + run, with one retry when the infrastructure (not the kernel) failed.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const outcome = await bootAndRun(ctx, req, arch, build.image, image, programs.runnables, dir, result, attempt);
    if (outcome === 'done') break;
    ctx.report({ kind: 'warn', cell: plan.id, text: `infrastructure error (${result.error?.code}); booting once more` });
    result.suites = [];
  }
  for (const k of programs.skipped) {
    result.suites.push({ suite: k.label, exitCode: null, timedOut: false, disconnected: false, durationMs: 0, outputLog: rel(selftestLog), ktap: null,
      cases: [{ id: k.label, outcome: 'skip', reason: k.reason, metrics: {}, diagnostics: [] }] });
  }
  return finish();
}

async function bootAndRun(
  ctx: Ctx, req: CellRequest, arch: ArchProfile, kernelImage: string,
  image: Awaited<ReturnType<typeof buildGuestImage>>, runnables: Runnable[],
  dir: string, result: CellResult, attempt: number,
): Promise<'done' | 'retry'> {
  const rel = (p: string) => relative(dir, p);
  const consoleLog = join(dir, attempt === 1 ? 'console.log' : `console.attempt${attempt}.log`);
  result.console.log = rel(consoleLog);
  result.state = 'ok';
  result.error = null;
  result.qemuVersion = await qemuVersion(arch.qemu.binary);
  let vm: Vm | undefined;
  try {
    const boot = await runStage(ctx, 'boot', `--accel ${req.accel}`, () => bootWithPolicy({
      policy: req.accel, cacheDir: ctx.cacheDir, cell: ctx.cell, report: ctx.report,
      onAccel: (accel, reason) => { result.accel = accel; result.accelReason = reason; },
      arch, kernelImage, initrd: image.initrdPath, keys: image.keys, consoleLogPath: consoleLog,
      timeoutMs: req.config.timeouts.bootMs, extraCmdline: req.extraCmdline, signal: ctx.signal,
    }).then((b) => b.vm), consoleLog);
    result.stages.push({ stage: 'boot', status: boot.status, durationMs: boot.durationMs, log: rel(consoleLog) });
    if (boot.status === 'failed' || !boot.output) {
      const err = boot.error ?? new InfraError('BOOT_FAILED', 'boot failed', { stage: 'boot' });
      result.state = stateForFailure('boot', err);
      result.error = errorRecord(err);
      return worthRetry(result.state) && attempt === 1 ? 'retry' : 'done';
    }
    vm = boot.output;
    result.boot = vm.timings;
    for (const prog of runnables) {
      const fileBase = fileBaseName(prog.label);
      const outLog = join(dir, `${fileBase}.out`);
      const run = await runStage(ctx, 'run', prog.label, async () => {
        let setupLog = '';
        for (const line of prog.setup) {
          const s = await vm!.ssh.exec(line, { timeoutMs: 30_000 });
          setupLog += `# setup: ${line} -> exit ${s.exitCode}${s.stderr ? `: ${s.stderr.trim()}` : ''}\n`;
        }
        const remote = `/tmp/${fileBase}`;
        await vm!.ssh.upload(prog.path, remote);
        const command = [remote, ...prog.args].map(shellQuote).join(' ');
        const r = await vm!.ssh.exec(command, { timeoutMs: prog.timeoutMs });
        await writeFileAtomically(outLog, setupLog + r.stdout + (r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''));
        return r;
      }, outLog);
      result.stages.push({ stage: 'run', status: run.status, durationMs: run.durationMs, log: rel(outLog) });
      if (run.status === 'failed' || !run.output) {
        const err = run.error ?? new InfraError('RUN_FAILED', 'suite run failed', { stage: 'run' });
        result.state = 'infra-error';
        result.error = errorRecord(err);
        return attempt === 1 ? 'retry' : 'done';
      }
      const r = run.output;
      const parsed = casesFromOutput({ label: prog.label, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, disconnected: r.disconnected });
      const suiteRun: SuiteRun = { suite: prog.label, exitCode: r.exitCode, signal: parsed.signal, timedOut: r.timedOut, disconnected: r.disconnected, durationMs: r.durationMs, outputLog: rel(outLog), ktap: parsed.ktap, cases: parsed.cases };
      result.suites.push(suiteRun);
      if (r.timedOut) {
        // Reported with the console tail; the remaining programs still run if the guest answers.
        result.state = 'timeout';
        result.error = { kind: 'user', code: 'SUITE_TIMEOUT', stage: 'run', message: `${prog.label} did not finish within ${(prog.timeoutMs / 1000).toFixed(0)} s`, logTail: vm.consoleTail(40) };
        for (const c of suiteRun.cases) if (c.outcome === 'error') c.reason = `timed out after ${(prog.timeoutMs / 1000).toFixed(0)} s`;
        const alive = await vm.ssh.exec('true', { timeoutMs: 5000 });
        if (alive.exitCode !== 0) return 'done';
        continue;
      }
      if (r.disconnected) {
        // Give the console a moment: a panic is printed before qemu exits.
        await Promise.race([vm.qemu.exited, new Promise((res) => setTimeout(res, 1000))]);
        const panic = findPanic(vm.console());
        if (panic) {
          result.state = 'crashed';
          result.error = { kind: 'user', code: 'KERNEL_PANIC', stage: 'run', message: `guest kernel panicked while ${prog.label} ran: ${panic}`, logTail: vm.consoleTail(40) };
          return 'done';
        }
        result.state = 'infra-error';
        result.error = { kind: 'infra', code: 'SSH_LOST', stage: 'run', message: `SSH connection lost while ${prog.label} ran (${vm.qemu.isRunning() ? 'qemu still running: sshd died?' : 'qemu exited'})`, logTail: vm.consoleTail(40) };
        return attempt === 1 ? 'retry' : 'done';
      }
    }
    return 'done';
  } finally {
    if (vm) await vm.shutdown();
    const text = await readFile(consoleLog, 'utf8').catch(() => '');
    result.console.findings = scanConsole(text);
  }
}
