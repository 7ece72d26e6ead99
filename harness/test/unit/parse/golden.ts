// Golden-file support for the parser tests: every fixture X.<ext> in a
// fixtures folder has an expected X.json beside it. UPDATE_GOLDEN=1 rewrites
// the goldens from the current output (review the diff before committing).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Fixture {
  name: string;
  input: string;
  goldenPath: string;
}

export function fixturesIn(folder: string): Fixture[] {
  const dir = fileURLToPath(new URL(`../../fixtures/${folder}/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => extname(f) !== '.json')
    .sort()
    .map((f) => ({
      name: f,
      input: readFileSync(join(dir, f), 'utf8'),
      goldenPath: join(dir, `${basename(f, extname(f))}.json`),
    }));
}

export function assertMatchesGolden(actual: unknown, goldenPath: string): void {
  // Through JSON so optional fields left undefined compare as absent.
  const plain: unknown = JSON.parse(JSON.stringify(actual));
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(goldenPath, `${JSON.stringify(plain, null, 2)}\n`);
    return;
  }
  assert.ok(existsSync(goldenPath), `no golden ${goldenPath}; run with UPDATE_GOLDEN=1 to create it`);
  const expected: unknown = JSON.parse(readFileSync(goldenPath, 'utf8'));
  assert.deepStrictEqual(plain, expected);
}
