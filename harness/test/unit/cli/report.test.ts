// report and merge never destroy results: broken inputs stop them before any
// write; merge refuses outputs that would mix or overwrite, and writes atomically.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../src/results/types.ts';
import { assertUserError, kvmatrix, makeRunDir, sandbox, snapshot, type Sandbox } from './helpers.ts';

describe('kvmatrix report: never rewrites an input it could not read', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let run: string;
  beforeEach(() => {
    sb = sandbox();
    run = join(sb.root, 'run');
    makeRunDir(run);
  });
  afterEach(() => sb.cleanup());

  it('re-renders a sound run (the baseline the other cases break)', async () => {
    const r = await kvmatrix(sb, ['report', run]);
    assert.ok([0, 1, 69].includes(r.exitCode ?? -1), r.stderr);
    assert.equal((JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as RunSummary).cells.length, 7);
    for (const f of ['matrix.md', 'report.html', 'junit.xml']) assert.ok(existsSync(join(run, f)), f);
  });

  it('a corrupt cells/*/result.json: exit 2 naming the file, nothing written', async () => {
    const broken = join(run, 'cells', '6.1_x86_64_patched', 'result.json');
    writeFileSync(broken, readFileSync(broken, 'utf8').slice(0, 200));
    const before = snapshot(run);
    const r = await kvmatrix(sb, ['report', run]);
    assertUserError(r, 'RESULT_CORRUPT', `cell result ${broken} is not valid JSON`, 'nothing was written');
    assert.deepEqual(snapshot(run), before);
  });

  it('a result.json of another schema is refused, not silently dropped', async () => {
    const file = join(run, 'cells', '6.1_x86_64_base', 'result.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), schema: 99 }));
    const before = snapshot(run);
    assertUserError(await kvmatrix(sb, ['report', run]), 'RESULT_SCHEMA', file, 'schema 99');
    assert.deepEqual(snapshot(run), before);
  });

  it('a truncated results.json: exit 2 naming it, not overwritten', async () => {
    const file = join(run, 'results.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 300));
    const before = snapshot(run);
    assertUserError(await kvmatrix(sb, ['report', run]), 'RESULT_CORRUPT', `run summary ${file} is not valid JSON`);
    assert.deepEqual(snapshot(run), before);
    writeFileSync(file, '');
    assertUserError(await kvmatrix(sb, ['report', run]), 'RESULT_CORRUPT', 'the file is empty');
  });

  it('an unreadable result.json (a directory in its place) is a user error naming it', async () => {
    const file = join(run, 'cells', '6.1_arm64_base', 'result.json');
    rmSync(file);
    mkdirSync(file);
    const before = snapshot(run);
    assertUserError(await kvmatrix(sb, ['report', run]), 'RESULT_UNREADABLE', file);
    assert.deepEqual(snapshot(run), before);
  });

  it('a cell that never finished (no result.json) is a warning and a missing cell, not an error', async () => {
    rmSync(join(run, 'cells', '6.1_arm64_base', 'result.json'));
    const r = await kvmatrix(sb, ['report', run]);
    assert.notEqual(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /1 cell\(s\) never finished \(no result\.json\): 6\.1_arm64_base/);
    const s = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as RunSummary;
    assert.equal(s.cells.some((c) => c.id === '6.1/arm64/base'), false);
  });

  it('refuses what is not a run directory', async () => {
    assertUserError(await kvmatrix(sb, ['report', join(sb.root, 'nope')]), 'NOT_A_RUN_DIR', 'does not exist');
    assertUserError(await kvmatrix(sb, ['report', sb.root]), 'NOT_A_RUN_DIR', 'has no cells/ directory');
    assertUserError(await kvmatrix(sb, ['report', join(run, 'results.json')]), 'NOT_A_RUN_DIR', 'is not a directory');
    assertUserError(await kvmatrix(sb, ['report']), 'USAGE', 'needs RUN_DIR');
  });
});

describe('kvmatrix merge: refuses outputs that would lose or mix results; atomic', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let a: string;
  let b: string;
  const firstFive = (ids: string[]) => ids.slice(0, 5);
  const rest = (ids: string[]) => ids.slice(5);
  beforeEach(() => {
    sb = sandbox();
    a = join(sb.root, 'shard-a');
    b = join(sb.root, 'shard-b');
    makeRunDir(a, { cells: firstFive });
    makeRunDir(b, { cells: rest });
  });
  afterEach(() => sb.cleanup());

  /** No temp dir or half-written output left next to --out. */
  function leftovers(): string[] {
    return readdirSync(sb.root).filter((n) => n.startsWith('.tmp-'));
  }

  it('merges shards into a new --out (the baseline)', async () => {
    const out = join(sb.root, 'merged');
    const r = await kvmatrix(sb, ['merge', a, b, '--out', out]);
    assert.notEqual(r.exitCode, 2, r.stderr);
    assert.equal(readdirSync(join(out, 'cells')).length, 7);
    assert.deepEqual(leftovers(), []);
  });

  it('refuses --out equal to, inside or containing an input; inputs must be run dirs', async () => {
    const before = { a: snapshot(a), b: snapshot(b) };
    assertUserError(await kvmatrix(sb, ['merge', a, '--out', a]), 'MERGE_OUT_OVERLAP', `--out ${a} is the input ${a}`);
    assertUserError(await kvmatrix(sb, ['merge', a, b, '--out', join(a, 'merged')]), 'MERGE_OUT_OVERLAP', 'is inside the input');
    assertUserError(await kvmatrix(sb, ['merge', a, b, '--out', sb.root, '--force']), 'MERGE_OUT_OVERLAP', 'contains the input');
    const noCells = join(sb.root, 'not-a-run');
    mkdirSync(noCells);
    assertUserError(await kvmatrix(sb, ['merge', a, noCells, '--out', join(sb.root, 'm')]), 'NOT_A_RUN_DIR', `${noCells} has no cells/ directory`);
    assertUserError(await kvmatrix(sb, ['merge', a, a, '--out', join(sb.root, 'm')]), 'MERGE_INPUT', 'given twice');
    assertUserError(await kvmatrix(sb, ['merge', a, b]), 'USAGE', 'needs --out DIR');
    assert.deepEqual({ a: snapshot(a), b: snapshot(b) }, before);
    assert.equal(existsSync(join(sb.root, 'm')), false);
    assert.deepEqual(leftovers(), []);
  });

  it('refuses a non-empty --out unless --force, which replaces it whole (no stale cells)', async () => {
    const out = join(sb.root, 'merged');
    mkdirSync(join(out, 'cells', 'stale_cell'), { recursive: true });
    writeFileSync(join(out, 'cells', 'stale_cell', 'result.json'), '{}');
    const before = snapshot(out);
    assertUserError(await kvmatrix(sb, ['merge', a, b, '--out', out]), 'MERGE_OUT_EXISTS', 'pass --force');
    assert.deepEqual(snapshot(out), before);
    const r = await kvmatrix(sb, ['merge', a, b, '--out', out, '--force']);
    assert.notEqual(r.exitCode, 2, r.stderr);
    assert.equal(existsSync(join(out, 'cells', 'stale_cell')), false);
    assert.equal(readdirSync(join(out, 'cells')).length, 7);
    assert.deepEqual(leftovers(), []);
  });

  it('an overlap between shards leaves nothing behind', async () => {
    const c = join(sb.root, 'shard-c');
    cpSync(a, c, { recursive: true });
    const out = join(sb.root, 'merged');
    assertUserError(await kvmatrix(sb, ['merge', a, b, c, '--out', out]), 'MERGE_OVERLAP', 'appears in more than one shard');
    assert.equal(existsSync(out), false);
    assert.deepEqual(leftovers(), []);
  });

  it('a corrupt cell result in a shard stops the merge before anything is written', async () => {
    const broken = join(b, 'cells', '6.12_x86_64_base', 'result.json');
    writeFileSync(broken, '{"schema": 1, "id": ');
    const out = join(sb.root, 'merged');
    assertUserError(await kvmatrix(sb, ['merge', a, b, '--out', out]), 'RESULT_CORRUPT', broken);
    assert.equal(existsSync(out), false);
    rmSync(join(b, 'results.json'));
    assertUserError(await kvmatrix(sb, ['merge', a, b, '--out', out]), 'MERGE_INPUT', 'has no results.json');
    assert.deepEqual(leftovers(), []);
  });
});
