// Build the kernel's own selftest programs statically for an arch, from the
// tree under test, against that tree's uapi headers. A program this tree does
// not have, or that does not compile here (generated headers, liburing, ...),
// is skipped with a reason; only the machinery failing (make, the compiler
// missing, a timeout) throws.
import { join, relative } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { ArchProfile } from '../arch/profile.ts';
import { compilerFor } from '../arch/host.ts';
import { compilerVersion } from '../kbuild/build-kernel.ts';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { writeDirAtomically } from '../util/fs.ts';
import { hashValue, sha256 } from '../util/hash.ts';
import type { KernelSource } from '../source/types.ts';
import type { BuiltKselftest, KselftestProgram, SkippedKselftest } from './types.ts';
import { notApplicable } from './catalog.ts';
import { localIncludeClosure, resolveSources, selftestsDir } from './resolve.ts';
import { installUapiHeaders, kselftestCacheDir, lockTarget } from './headers.ts';
import { readElfInfo } from './elf.ts';

/** Always: static (the guest has no libc for us), warnings allowed (selftests are not -Werror clean with every gcc). */
export const KSELFTEST_BASE_CFLAGS = ['-static', '-pthread', '-Wall'];
export const COMPILE_TIMEOUT_MS = 5 * 60_000;

export interface CompilePlan {
  /** Compiler arguments, with the tree and header dirs substituted. */
  args: string[];
  /** Source files, relative to tools/testing/selftests. */
  sources: string[];
  /**
   * The program's own directory: the Makefiles compile from there, so
   * __FILE__ is a bare file name (pagemap_ioctl.c creates __FILE__".tmp0"
   * in its cwd; an absolute host path would not exist in the guest).
   */
  cwd: string;
}

/**
 * The compiler command line for one program, mirroring the selftests
 * Makefiles: -O2 only where the program directory's CFLAGS have it, `-I $(top_srcdir)` (the tree root: "../../../../mm/gup_test.h"
 * style includes), `-I tools/testing/selftests` when lib.mk adds it (newer
 * trees include "kselftest.h" without "../"),
 * `-isystem <installed uapi headers>` (KHDR_INCLUDES), plus
 * `-isystem tools/include/uapi` (TOOLS_INCLUDES) and `-U_FORTIFY_SOURCE`
 * when that program directory's Makefile uses them (newer mm/ Makefiles, e.g. 6.12).
 */
export function compilePlan(tree: string, headersDir: string, program: KselftestProgram, sources: string[], output: string): CompilePlan {
  const dir = sources[0]?.split('/')[0] ?? '';
  const read = (file: string) => {
    try {
      return readFileSync(join(selftestsDir(tree), file), 'utf8');
    } catch {
      return ''; // No Makefile: plain flags.
    }
  };
  const makefile = read(join(dir, 'Makefile'));
  // lib.mk, which every selftests Makefile includes: in 7.2 it puts
  // tools/testing/selftests itself on the include path (`#include "kselftest.h"`).
  const libMk = read('lib.mk');
  const [staticFlag, ...baseRest] = KSELFTEST_BASE_CFLAGS;
  const args = [
    staticFlag as string,
    // The optimisation level too: vm/ Makefiles (<= 6.1) build without -O2, and
    // 5.10's userfaultfd.c only works so (a non-volatile local across siglongjmp).
    ...(/^\s*CFLAGS\s*\+?=.*\s-O2(\s|$)/m.test(makefile) ? ['-O2'] : []),
    ...baseRest,
    ...(/-U_FORTIFY_SOURCE/.test(makefile) ? ['-U_FORTIFY_SOURCE'] : []),
    '-I', tree,
    ...(/-I\s*\$[({]top_srcdir[)}]\/tools\/testing\/selftests\b/.test(libMk) ? ['-I', selftestsDir(tree)] : []),
    // ... and builds with _GNU_SOURCE (6.12 on): 7.2's soft-dirty.c needs it for MREMAP_FIXED.
    ...(/^\s*CFLAGS\s*\+=\s*-D_GNU_SOURCE=?\s*$/m.test(libMk) ? ['-D_GNU_SOURCE='] : []),
    '-isystem', join(headersDir, 'usr', 'include'),
    ...(/\$\(TOOLS_INCLUDES\)/.test(makefile) ? ['-isystem', join(tree, 'tools', 'include', 'uapi')] : []),
    ...program.cflags,
    '-o', output,
    ...sources.map((s) => relative(join(selftestsDir(tree), dir), join(selftestsDir(tree), s))),
    ...program.ldlibs,
  ];
  return { args, sources, cwd: join(selftestsDir(tree), dir) };
}

/** The line of compiler output that says why it failed, with the tree path cut off. */
export function firstErrorLine(output: string, tree: string): string {
  const lines = output.split('\n').map((l) => l.split(`${tree}/`).join('').trim()).filter(Boolean);
  const line = lines.find((l) => /\berror:/.test(l) && !/^collect2/.test(l))
    ?? lines.find((l) => /undefined reference to|cannot find -l|multiple definition of/.test(l))
    ?? lines.find((l) => /\berror\b/i.test(l))
    ?? lines[0]
    ?? '(no compiler output)';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export function skipReasonForCompileFailure(output: string, tree: string, arch: ArchProfile): string {
  const line = firstErrorLine(output, tree);
  let why = '';
  const header = /fatal error: ([^:]+): No such file or directory/.exec(line);
  if (header) why = ` (${header[1]} is not in the tree: generated by the selftests Makefile or from a library we do not provide)`;
  const lib = /cannot find -l([\w+.-]+)/.exec(line);
  if (lib) why = ` (no static lib${lib[1]} for ${arch.name})`;
  if (/undefined reference to `(io_uring|numa_|cap_)/.test(line)) why = ' (needs a library we do not link)';
  return `compile failed: ${line}${why}`;
}

/** A program that does not compile here: a skip, not an error. */
class CompileFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Cache key of one binary: the tree identity, the arch, the sources and every
 * local header they include (a "local" tree's identity may be only its path),
 * the command line with paths made symbolic, and the compiler version.
 */
function binaryKey(source: KernelSource, arch: ArchProfile, program: KselftestProgram, sources: string[], headersDir: string, compiler: string): string {
  const closure = localIncludeClosure(source.tree, sources.map((s) => join(selftestsDir(source.tree), s)), [source.tree]);
  const inputs = Object.fromEntries(closure.map((f) => [f, sha256(readFileSync(join(source.tree, f)))]));
  const flags = compilePlan(source.tree, headersDir, program, sources, '$OUT').args
    .map((a) => a.split(headersDir).join('$HEADERS').split(source.tree).join('$TREE'));
  return hashValue({ what: 'kselftest-binary', v: 2, identity: source.identity, arch: arch.name, name: program.name, inputs, flags, compiler }).slice(0, 16);
}

async function compileInto(
  dir: string, cc: string, compiler: string, source: KernelSource, arch: ArchProfile,
  program: KselftestProgram, sources: string[], headersDir: string, logPath: string,
): Promise<void> {
  await writeDirAtomically(dir, async (tmp) => {
    const tmpOut = join(tmp, program.name);
    const plan = compilePlan(source.tree, headersDir, program, sources, tmpOut);
    const r = await run(cc, plan.args, { cwd: plan.cwd, logPath, timeoutMs: COMPILE_TIMEOUT_MS });
    if (r.timedOut) {
      throw new InfraError('KSELFTEST_COMPILE_TIMEOUT', `${cc} timed out after ${COMPILE_TIMEOUT_MS / 1000} s building ${program.name} for ${arch.name}`, { stage: 'selftest-build', logPath });
    }
    if (r.exitCode !== 0 || !existsSync(tmpOut)) {
      throw new CompileFailed(skipReasonForCompileFailure(`${r.stderr}\n${r.stdout}`, source.tree, arch));
    }
    if (readElfInfo(tmpOut).hasInterp) {
      throw new InfraError('KSELFTEST_NOT_STATIC', `${cc} -static produced a dynamically linked ${program.name} for ${arch.name}`, {
        stage: 'selftest-build', logPath, hint: `install the static C library for ${arch.name} (${arch.crossPackages.join(' ') || 'libc6-dev'})`,
      });
    }
    await writeFile(join(tmp, 'build.json'), `${JSON.stringify({
      name: program.name, identity: source.identity, kernelVersion: source.kernelVersion, arch: arch.name, compiler, sources,
      command: [cc, ...plan.args.map((a) => a.split(tmp).join('$OUT_DIR'))],
    }, null, 2)}\n`);
  });
}

export interface PlannedKselftest {
  program: KselftestProgram;
  sources: string[];
}

/**
 * Which catalog programs this tree and arch get: the ones that apply and
 * whose sources exist are planned; the rest are skipped with the reason.
 * Cheap (stat calls only), so the pipeline knows every program before the
 * compiler runs and can report each one even when the build fails.
 */
export function planKselftests(source: KernelSource, arch: ArchProfile, programs: KselftestProgram[]): { planned: PlannedKselftest[]; skipped: SkippedKselftest[] } {
  const planned: PlannedKselftest[] = [];
  const skipped: SkippedKselftest[] = [];
  for (const program of programs) {
    const na = notApplicable(program, source.kernelVersion, arch);
    if (na) {
      skipped.push({ name: program.name, reason: na });
      continue;
    }
    const r = resolveSources(selftestsDir(source.tree), program);
    if (!r.ok) skipped.push({ name: program.name, reason: r.reason });
    else planned.push({ program, sources: r.sources });
  }
  return { planned, skipped };
}

/**
 * Compile the planned programs (uapi headers first). A program that does not
 * compile in this tree is skipped with the compiler's reason; the machinery
 * failing (headers_install, a missing compiler, a timeout) throws.
 */
export async function compileKselftests(
  cacheDir: string, source: KernelSource, arch: ArchProfile, planned: PlannedKselftest[], logPath: string,
): Promise<{ built: BuiltKselftest[]; skipped: SkippedKselftest[] }> {
  const built: BuiltKselftest[] = [];
  const skipped: SkippedKselftest[] = [];
  if (planned.length === 0) return { built, skipped };

  const compiler = await compilerVersion(arch); // fails fast when the (cross) compiler is missing
  const headersDir = await installUapiHeaders(cacheDir, source, arch, logPath);
  const binRoot = join(kselftestCacheDir(cacheDir), 'bin');
  await mkdir(binRoot, { recursive: true });

  const cc = compilerFor(arch);
  for (const { program, sources } of planned) {
    const dir = join(binRoot, `${arch.name}-${program.name}-${binaryKey(source, arch, program, sources, headersDir, compiler)}`);
    const out = join(dir, program.name);
    const entry: BuiltKselftest = { name: program.name, path: out, args: [...program.args], timeoutMs: program.timeoutMs, setup: [...program.setup] };
    if (!existsSync(out)) {
      const release = await lockTarget(dir);
      try {
        if (!existsSync(out)) await compileInto(dir, cc, compiler, source, arch, program, sources, headersDir, logPath);
      } catch (err) {
        if (!(err instanceof CompileFailed)) throw err;
        skipped.push({ name: program.name, reason: err.reason });
        continue;
      } finally {
        await release();
      }
    }
    built.push(entry);
  }
  return { built, skipped };
}

/** Plan and compile in one go (tests and tools that need no per-program accounting). */
export async function buildKselftests(
  cacheDir: string, source: KernelSource, arch: ArchProfile, programs: KselftestProgram[], logPath: string,
): Promise<{ built: BuiltKselftest[]; skipped: SkippedKselftest[] }> {
  const plan = planKselftests(source, arch, programs);
  const compiled = await compileKselftests(cacheDir, source, arch, plan.planned, logPath);
  return { built: compiled.built, skipped: [...plan.skipped, ...compiled.skipped] };
}
