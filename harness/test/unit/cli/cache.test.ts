// cache ls/gc on a cache with real-looking entries and strays: malformed sizes
// and ages never delete anything; gc removes only entries it listed.
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserError, kvmatrix, sandbox, snapshot, type Sandbox } from './helpers.ts';

function entry(cache: string, arch: string, key: string, bytes: number, ageDays: number): string {
  const dir = join(cache, 'builds', arch, key);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ schema: 1, key, sourceIdentity: 'local:/tree', variant: 'base' }));
  writeFileSync(join(dir, 'bzImage'), Buffer.alloc(bytes));
  const t = new Date(Date.now() - ageDays * 86400_000);
  utimesSync(dir, t, t);
  return dir;
}

describe('kvmatrix cache: nothing is lost to a malformed flag or a stray file', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
    entry(sb.cache, 'x86_64', 'a'.repeat(24), 1024 ** 2, 1);
    entry(sb.cache, 'x86_64', 'b'.repeat(24), 1024 ** 2, 10);
    entry(sb.cache, 'arm64', 'c'.repeat(24), 1024 ** 2, 40);
    writeFileSync(join(sb.cache, 'builds', 'stray.txt'), 'left here by hand\n');
    writeFileSync(join(sb.cache, 'builds', 'x86_64', 'notes'), 'also stray\n');
  });
  afterEach(() => sb.cleanup());

  it('cache ls lists the entries and warns about strays instead of crashing', async () => {
    const r = await kvmatrix(sb, ['cache', 'ls']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /3 kernel build\(s\)/);
    assert.match(r.stderr, /^warning: skipping .*builds\/stray\.txt: not a directory/m);
    assert.match(r.stderr, /^warning: skipping .*builds\/x86_64\/notes: not a directory/m);
  });

  it("malformed sizes and ages are usage errors (exit 2) that remove nothing: '', abc, -1, 1x", async () => {
    const before = snapshot(sb.cache);
    for (const [flag, value] of [['--max-size', ''], ['--max-size', 'abc'], ['--max-size', '-1'], ['--max-size', '1x'], ['--older-than', ''], ['--older-than', 'soon'], ['--older-than', '-3']] as const) {
      const r = await kvmatrix(sb, ['cache', 'gc', flag, value]);
      assertUserError(r, 'USAGE', flag);
      assert.deepEqual(snapshot(sb.cache), before, `${flag} ${JSON.stringify(value)} changed the cache`);
    }
    assertUserError(await kvmatrix(sb, ['cache', 'gc']), 'USAGE', 'needs --older-than DURATION, --max-size SIZE or --all');
    assert.deepEqual(snapshot(sb.cache), before);
  });

  it('gc removes only listed entries, oldest first beyond --max-size, and says which', async () => {
    const dry = await kvmatrix(sb, ['cache', 'gc', '--max-size', '1.5M', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.match(dry.stdout, /would remove 2 of 3 build\(s\)/);
    const r = await kvmatrix(sb, ['cache', 'gc', '--max-size', '1.5M']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^removing x86_64 +b{24}/m);
    assert.match(r.stdout, /^removing arm64 +c{24}/m);
    assert.match(r.stdout, /removed 2 of 3 build\(s\)/);
    const left = Object.keys(snapshot(sb.cache));
    assert.ok(left.includes(join('builds', 'x86_64', 'a'.repeat(24))));
    assert.ok(left.includes(join('builds', 'stray.txt')) && left.includes(join('builds', 'x86_64', 'notes')), 'strays are not entries: never removed');
    const old = await kvmatrix(sb, ['cache', 'gc', '--older-than', '7d']);
    assert.match(old.stdout, /removed 0 of 1 build\(s\)/);
  });
});
