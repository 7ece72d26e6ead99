// Golden files: output checked against a recorded expectation beside its
// fixture. A string (a rendered report) must match its golden byte for byte;
// any other value (parser output) is compared through JSON, so optional
// fields left undefined compare as absent. UPDATE_GOLDEN=1 rewrites the
// goldens from the current output (review the diff before committing).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function assertMatchesGolden(actual: unknown, goldenPath: string): void {
  const text = typeof actual === 'string' ? actual : `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(goldenPath, text);
    return;
  }
  assert.ok(existsSync(goldenPath), `no golden ${goldenPath}; run with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(goldenPath, 'utf8');
  if (typeof actual !== 'string') {
    assert.deepStrictEqual(JSON.parse(text), JSON.parse(expected));
    return;
  }
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((line, n) => line !== e[n]);
  const at = i < 0 ? e.length : i;
  assert.fail(`output differs from ${basename(goldenPath)} at line ${at + 1}:\n  expected: ${JSON.stringify(e[at])}\n`
    + `  actual:   ${JSON.stringify(a[at])}\n(UPDATE_GOLDEN=1 to accept)`);
}

export interface Fixture {
  name: string;
  input: string;
  goldenPath: string;
}

/** Every fixture X.<ext> in fixtures/<folder>, with its expected X.json beside it. */
export function fixturesIn(folder: string): Fixture[] {
  const dir = join(FIXTURES_DIR, folder);
  return readdirSync(dir)
    .filter((f) => extname(f) !== '.json')
    .sort()
    .map((f) => ({
      name: f,
      input: readFileSync(join(dir, f), 'utf8'),
      goldenPath: join(dir, `${basename(f, extname(f))}.json`),
    }));
}
