// The recorded host runs in harness/test/fixtures/kselftest/ are inputs for
// parser tests; keep their index honest about format and exit codes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKselftestCatalog } from '../../../src/kselftest/catalog.ts';
import { configsDir } from '../../../src/util/paths.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/kselftest');

interface Run { fixture: string; tree: string; program: string; args: string[]; exitCode: number; format: 'ktap' | 'text'; hostDurationMs: number }

describe('kselftest recorded outputs', () => {
  const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as { runs: Run[] };
  const catalog = new Set(loadKselftestCatalog(join(configsDir, 'kselftests', 'mm.yaml')).map((p) => p.name));

  it('index every fixture with a catalog program, its format and exit code', () => {
    assert.ok(index.runs.length >= 10);
    for (const r of index.runs) {
      assert.ok(catalog.has(r.program), r.program);
      const stdout = readFileSync(join(DIR, `${r.fixture}.stdout`), 'utf8');
      assert.ok(existsSync(join(DIR, `${r.fixture}.stderr`)), r.fixture);
      assert.equal(/^TAP version 13$/m.test(stdout), r.format === 'ktap', `${r.fixture}: format`);
      assert.ok([0, 1, 4].includes(r.exitCode), `${r.fixture}: kselftest exit codes are 0 pass, 1 fail, 4 skip`);
    }
  });

  it('cover the shapes a parser must handle: KTAP pass, KTAP whole-program skip, text pass, text usage error', () => {
    const get = (f: string) => index.runs.find((r) => r.fixture === f);
    assert.equal(get('6.1-soft-dirty')?.exitCode, 4);
    assert.match(readFileSync(join(DIR, '6.1-soft-dirty.stdout'), 'utf8'), /^1\.\.0 # SKIP /m);
    assert.equal(get('6.12-mkdirty')?.format, 'ktap');
    assert.equal(get('6.12-uffd-unit-tests')?.format, 'text');
    assert.match(readFileSync(join(DIR, '6.12-uffd-unit-tests.stdout'), 'utf8'), /^Userfaults unit tests: pass=\d+, skip=\d+, fail=0 \(total=\d+\)$/m);
    assert.equal(get('6.1-userfaultfd-anon-usage-error')?.exitCode, 1);
    assert.match(readFileSync(join(DIR, '6.1-userfaultfd-anon-usage-error.stderr'), 'utf8'), /^ERROR: invalid MiB/);
  });
});
