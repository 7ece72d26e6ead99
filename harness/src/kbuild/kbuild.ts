// Configure and build a kernel out of tree with the kernel's own tools:
// tinyconfig, merge_config.sh with our fragments, olddefconfig, then verify
// that every option a fragment asked for really is in the final .config.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import type { ArchProfile } from '../arch/profile.ts';
import { crossPrefix } from '../arch/host.ts';
import { run, type RunResult } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { tailFile, writeFileAtomically } from '../util/fs.ts';
import { parseKconfig, missingOptions } from '../parse/kconfig.ts';
import { compilerErrors, formatCompilerError } from '../parse/compiler.ts';
import type { Fragment } from './fragments.ts';

export interface KbuildRequest {
  arch: ArchProfile;
  src: string;
  obj: string;
  fragments: Fragment[];
  logPath: string;
  jobs?: number;
  onOutput?: (chunk: string) => void;
}

export function makeArgs(req: Pick<KbuildRequest, 'arch' | 'src' | 'obj'>, ...targets: string[]): string[] {
  const cross = crossPrefix(req.arch);
  return ['-C', req.src, `O=${req.obj}`, `ARCH=${req.arch.linuxArch}`, ...(cross ? [`CROSS_COMPILE=${cross}`] : []), ...targets];
}

async function make(req: KbuildRequest, targets: string[], timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<RunResult> {
  return run('make', makeArgs(req, ...targets), {
    logPath: req.logPath, timeoutMs, captureStdout: false, onOutput: req.onOutput,
    // Reproducible-ish version string and no host name leaking into results.
    env: { KBUILD_BUILD_USER: 'kvmatrix', KBUILD_BUILD_HOST: 'kvmatrix', ...extraEnv },
  });
}

/**
/**
 * The line of a kernel build's error output that says why it failed (the
 * compiler's, assembler's or linker's first error; else make's own "***"
 * line), with the tree paths cut off, or null when there is none. Pure.
 */
export function firstBuildError(output: string, trees: readonly string[] = []): string | null {
  const lines = output.split('\n')
    .map((l) => trees.reduce((t, tree) => t.split(`${tree.replace(/\/+$/, '')}/`).join(''), l).trim())
    .filter(Boolean);
  const fromMake = (l: string) => /^make(\[\d+\])?: /.test(l);
  const line = lines.find((l) => !fromMake(l) && /\berror:/i.test(l) && !/^collect2/.test(l))
    ?? lines.find((l) => !fromMake(l) && /undefined reference to|No rule to make target|\bError\b/.test(l))
    ?? lines.find((l) => /\*\*\*/.test(l) && !/\] Error \d+$/.test(l))
    ?? lines.find((l) => /\*\*\*/.test(l));
  if (line === undefined) return null;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * The compiler's own errors in the log, for the message: "make bzImage failed
 * (exit 2): 2 compiler errors, first mm/userfaultfd.c:745:13: ...", then one
 * line per error. Without any, the first line that says why (an assembler
 * error, make's "***" line), else only how make ended.
 */
export function buildFailureMessage(what: string, r: Pick<RunResult, 'exitCode' | 'signal'>, log: string, trees: readonly string[] = []): string {
  const head = `${what} failed (exit ${r.exitCode ?? r.signal})`;
  const errors = compilerErrors(log);
  const first = errors[0];
  if (!first) {
    const why = firstBuildError(log, trees);
    return why ? `${head}: ${why}` : head;
  }
  const where = `${first.file}${first.line !== null ? `:${first.line}` : ''}`;
  return [`${head}: ${errors.length} compiler error(s), first ${where}: ${first.message}`, ...errors.map((e) => `  ${formatCompilerError(e)}`)].join('\n');
}

function buildFailed(code: string, what: string, req: KbuildRequest, r: RunResult): never {
  const ErrorClass = r.timedOut ? InfraError : UserError;
  // The build log holds the compiler's words; a config step's are in its stderr.
  const log = r.timedOut ? '' : code === 'BUILD_FAILED' ? readLog(req.logPath) : r.stderr;
  throw new ErrorClass(r.timedOut ? 'BUILD_TIMEOUT' : code, r.timedOut ? `${what} timed out` : buildFailureMessage(what, r, log, [req.src, req.obj]), {
    stage: code.startsWith('CONFIG') ? 'config' : 'build', logPath: req.logPath, logTail: tailFile(req.logPath, 40),
  });
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Returns the final .config text. Skips the work when the obj dir already has the same config. */
export async function configure(req: KbuildRequest, configKey: string): Promise<string> {
  const stamp = join(req.obj, '.kvmatrix-config-key');
  const dotConfig = join(req.obj, '.config');
  if (existsSync(dotConfig) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === configKey) {
    return readFile(dotConfig, 'utf8');
  }
  let r = await make(req, ['tinyconfig'], 10 * 60_000);
  if (r.exitCode !== 0) buildFailed('CONFIG_FAILED', 'make tinyconfig', req, r);
  r = await run(join(req.src, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', req.obj, dotConfig, ...req.fragments.map((f) => f.path)], {
    cwd: req.src, logPath: req.logPath, timeoutMs: 5 * 60_000,
    env: { ARCH: req.arch.linuxArch, CROSS_COMPILE: crossPrefix(req.arch) },
  });
  if (r.exitCode !== 0) buildFailed('CONFIG_FAILED', 'scripts/kconfig/merge_config.sh', req, r);
  r = await make(req, ['olddefconfig'], 10 * 60_000);
  if (r.exitCode !== 0) buildFailed('CONFIG_FAILED', 'make olddefconfig', req, r);
  const text = await readFile(dotConfig, 'utf8');
  verifyConfig(req.fragments, text, dotConfig);
  await writeFileAtomically(stamp, configKey);
  return text;
}

/** Every required option must have stuck; optional fragments only warn (returned). */
export function verifyConfig(fragments: readonly Fragment[], finalText: string, where: string): { name: string; wanted: string; got: string | null; fragment: string }[] {
  const actual = parseKconfig(finalText);
  const missingRequired: string[] = [];
  const missingOptional: { name: string; wanted: string; got: string | null; fragment: string }[] = [];
  const malformed = fragments.flatMap((f) => parseKconfig(f.text).problems.map((p) => `${f.path}:${p.line}: ${p.message}`));
  if (malformed.length > 0) {
    throw new UserError('FRAGMENT_MALFORMED', `kconfig fragment lines kvmatrix cannot read (they would be silently dropped):\n  ${malformed.join('\n  ')}`, { stage: 'config' });
  }
  for (const f of fragments) {
    for (const m of missingOptions(parseKconfig(f.text), actual)) {
      const entry = { ...m, fragment: f.name };
      if (f.optional) missingOptional.push(entry);
      else missingRequired.push(`CONFIG_${m.name}=${m.wanted} (from ${f.name}; final .config has ${m.got === null ? 'it unset' : `=${m.got}`})`);
    }
  }
  if (missingRequired.length > 0) {
    throw new UserError('CONFIG_OPTIONS_MISSING', `${missingRequired.length} requested kernel option(s) did not survive olddefconfig in ${where}:\n  ${missingRequired.join('\n  ')}`, {
      stage: 'config', hint: 'a dependency is probably missing: add it to the fragment (see `make menuconfig` help for the option\'s "Depends on")',
    });
  }
  return missingOptional;
}

export async function compile(req: KbuildRequest): Promise<void> {
  const jobs = req.jobs ?? cpus().length;
  const r = await make(req, [`-j${jobs}`, req.arch.kernel.makeTarget], 3 * 3600_000);
  if (r.exitCode !== 0) buildFailed('BUILD_FAILED', `make ${req.arch.kernel.makeTarget}`, req, r);
  if (!existsSync(join(req.obj, req.arch.kernel.image))) {
    throw new InfraError('BUILD_NO_IMAGE', `make succeeded but ${req.arch.kernel.image} is missing in ${req.obj}`, { stage: 'build', logPath: req.logPath });
  }
}

/** Objects the compiler (re)built in this run, from kbuild's quiet output ("  CC      mm/userfaultfd.o"). */
export function compiledObjects(buildLog: string): string[] {
  return [...buildLog.matchAll(/^\s+CC\s+(\S+\.o)\s*$/gm)].map((m) => m[1] as string);
}
