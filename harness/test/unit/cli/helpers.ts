// CLI tests run the real `kvmatrix` as a subprocess, always with results and
// cache in a private sandbox (KVMATRIX_RESULTS_DIR, KVMATRIX_CACHE_DIR), and
// only on inputs that must fail before any build: they check the exit code,
// the message and that nothing on disk changed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../../../src/exec/run.ts';
import { configsDir, repoRoot } from '../../../src/util/paths.ts';
import { cellDirName } from '../../../src/results/paths.ts';
import type { RunSummary } from '../../../src/results/types.ts';

export const CLI = join(repoRoot, 'harness', 'bin', 'kvmatrix.js');
const FIXTURE_RUN = join(repoRoot, 'harness', 'test', 'fixtures', 'report', 'run-6.1.json');

export interface Sandbox {
  root: string;
  results: string;
  cache: string;
  /** A finished run in results/, pointed at by results/latest. */
  previousRun: string;
  cleanup(): void;
}

/** Temp results dir (with one earlier run and `latest`) and a cache dir path that does not exist yet. */
export function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'kvmatrix-cli-'));
  const results = join(root, 'results');
  const previousRun = join(results, '20260101-000000-earlier');
  mkdirSync(join(previousRun, 'cells'), { recursive: true });
  writeFileSync(join(previousRun, 'run.json'), '{"complete": true}\n');
  symlinkSync('20260101-000000-earlier', join(results, 'latest'));
  return { root, results, cache: join(root, 'cache'), previousRun, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A fresh sandbox for every test of the enclosing `describe`, and the check a
 * refused command must pass: results exactly as before, no cache dir created.
 */
export function refusalSandbox(): { readonly sb: Sandbox; assertNothingWritten: () => void } {
  let current: Sandbox | undefined;
  let before: Record<string, string> = {};
  beforeEach(() => {
    current = sandbox();
    before = snapshot(current.results);
  });
  afterEach(() => current?.cleanup());
  const sb = (): Sandbox => {
    if (!current) throw new Error('the sandbox exists only inside a test');
    return current;
  };
  return {
    get sb() { return sb(); },
    assertNothingWritten: () => {
      assert.deepEqual(snapshot(sb().results), before);
      assert.equal(existsSync(sb().cache), false, 'the cache dir must not be created');
    },
  };
}

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export async function kvmatrix(sb: Pick<Sandbox, 'results' | 'cache'>, args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  const r = await run(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { KVMATRIX_RESULTS_DIR: sb.results, KVMATRIX_CACHE_DIR: sb.cache, KVMATRIX_DEBUG: '' },
    timeoutMs: 60_000,
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** Every file, dir and link under `dir` with its content hash: equal snapshots mean nothing was written. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out[rel] = `link:${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[rel] = 'dir';
        walk(p);
      } else out[rel] = `${createHash('sha256').update(readFileSync(p)).digest('hex')}@${st.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** A user error, rendered the one way: `error [CODE]: ...` and a `fix:` line, no stack trace, exit 2. */
export function assertUserError(r: CliResult, code: string, ...mentions: (string | RegExp)[]): void {
  const ctx = `exit ${r.exitCode}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`;
  assert.equal(r.exitCode, 2, ctx);
  assert.match(r.stderr, new RegExp(`^error \\[${code}\\]: `, 'm'), ctx);
  assert.match(r.stderr, /^ {2}fix: \S/m, ctx);
  assert.doesNotMatch(r.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, `stack trace in:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/, ctx);
  for (const m of mentions) {
    if (typeof m === 'string') assert.ok(r.stderr.includes(m), `stderr should mention ${JSON.stringify(m)}:\n${r.stderr}`);
    else assert.match(r.stderr, m, ctx);
  }
}

/** A directory that looks like a kernel tree to the plan check (a top Makefile with a version). */
export function fakeKernelTree(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION =\n');
  return dir;
}

export const GOOD_PATCH = readFileSync(join(configsDir, 'patches', 'uffd-wp-softdirty-6.1', '0001-mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range.patch'), 'utf8');

/**
 * A config dir whose plan is valid: a fake local kernel tree, a patch series,
 * a binary suite. `edit` breaks one thing; tests must always break something
 * (a valid plan would go on to provision and build).
 */
export function configDir(root: string, yaml: (d: string) => string, extra?: (d: string) => void): string {
  const d = mkdtempSync(join(root, 'cfg-'));
  fakeKernelTree(join(d, 'tree'));
  mkdirSync(join(d, 'patches', 'fix'), { recursive: true });
  writeFileSync(join(d, 'patches', 'fix', '0001-fix.patch'), GOOD_PATCH);
  writeFileSync(join(d, 'patches', 'fix', 'series'), '0001-fix.patch\n');
  writeFileSync(join(d, 'suite.sh'), '#!/bin/sh\necho ok\n');
  extra?.(d);
  writeFileSync(join(d, 'm.yaml'), yaml(d));
  return join(d, 'm.yaml');
}

/** The YAML of a valid config, with parts replaceable. */
export function validYaml(parts: { kernels?: string; variants?: string; arches?: string; suites?: string; expectations?: string } = {}): string {
  return [
    'name: t',
    'kernels:',
    parts.kernels ?? '  - { id: "6.1", source: { provider: local, path: tree } }',
    'variants:',
    parts.variants ?? '  - { name: base }\n  - { name: patched, patches: [patches/fix] }',
    `arches: ${parts.arches ?? '[x86_64]'}`,
    'suites:',
    parts.suites ?? '  - { name: s, kind: binary, path: suite.sh }',
    ...(parts.expectations ? ['expectations:', parts.expectations] : []),
    '',
  ].join('\n');
}

/** A run directory made of the recorded fixture run: results.json, config.yaml, cells/<dir>/result.json. */
export function makeRunDir(dir: string, opts: { cells?: (ids: string[]) => string[] } = {}): RunSummary {
  const summary = JSON.parse(readFileSync(FIXTURE_RUN, 'utf8')) as RunSummary;
  const keep = new Set(opts.cells ? opts.cells(summary.cells.map((c) => c.id)) : summary.cells.map((c) => c.id));
  summary.cells = summary.cells.filter((c) => keep.has(c.id));
  mkdirSync(join(dir, 'cells'), { recursive: true });
  for (const c of summary.cells) {
    mkdirSync(join(dir, 'cells', cellDirName(c.id)), { recursive: true });
    writeFileSync(join(dir, 'cells', cellDirName(c.id), 'result.json'), `${JSON.stringify(c, null, 2)}\n`);
  }
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
  cpSync(join(configsDir, 'matrix.yaml'), join(dir, 'config.yaml'));
  return summary;
}
