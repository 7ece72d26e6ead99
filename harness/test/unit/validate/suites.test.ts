import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chooseSuites, globToRegExp, loadSuiteMap } from '../../../src/validate/suites.ts';
import { configsDir, guestDir } from '../../../src/util/paths.ts';

describe('validate/suites: suites from the files a patch touches (configs/suite-map.yaml)', () => {
  const map = loadSuiteMap();
  const names = (paths: string[], override: string[] = []) => chooseSuites(map, paths, override).suites.map((s) => s.name);

  it('gives mm/, task_mmu.c and fs/userfaultfd.c our selftest and the mm kselftests', () => {
    for (const p of ['mm/userfaultfd.c', 'mm/huge_memory.c', 'fs/proc/task_mmu.c', 'fs/userfaultfd.c']) assert.deepEqual(names([p]), ['softdirty-uffdwp', 'kselftest-mm'], p);
  });

  it('gives a path no rule knows a boot plus the mm kselftests, and says why', () => {
    assert.deepEqual(names(['drivers/net/e1000/e1000_main.c']), ['kselftest-mm']);
    assert.match(chooseSuites(map, ['drivers/net/x.c']).reasons[0] ?? '', /^drivers\/net\/x\.c: no rule knows these files; a boot plus the mm selftests/);
    assert.deepEqual(names([]), ['kselftest-mm']);
  });

  it('takes the union for a patch touching both, in the map\'s order', () => {
    assert.deepEqual(names(['drivers/x.c', 'mm/memory.c']), ['softdirty-uffdwp', 'kselftest-mm']);
  });

  it('lets --suite replace the choice, and names the known suites for an unknown one', () => {
    assert.deepEqual(names(['mm/userfaultfd.c'], ['kselftest-mm']), ['kselftest-mm']);
    assert.throws(() => names(['mm/x.c'], ['ltp']), /Unknown suite "ltp". Available: softdirty-uffdwp, kselftest-mm/);
  });

  it('resolves suite paths from the map\'s directory, so a generated config can live anywhere', () => {
    const sd = map.suites.find((s) => s.name === 'softdirty-uffdwp');
    assert.equal(sd?.kind === 'c-source' ? sd.source : null, join(guestDir, 'selftests', 'softdirty_uffdwp.c'));
    const km = map.suites.find((s) => s.name === 'kselftest-mm');
    assert.equal(km?.kind === 'kselftest' ? km.catalog : null, join(configsDir, 'kselftests', 'mm.yaml'));
  });

  it('refuses a map whose rules name a suite it does not define', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'kvm-map-')), 'map.yaml');
    writeFileSync(f, 'suites: [{ name: a, kind: binary, path: /bin/true }]\nrules: [{ why: x, paths: ["mm/**"], suites: [b] }]\ndefault: { why: y, suites: [a] }\n');
    assert.throws(() => loadSuiteMap(f), /rules name suites it does not define: b/);
  });

  it('matches globs: * within a segment, ** across, ? one character', () => {
    assert.ok(globToRegExp('mm/**').test('mm/a/b.c'));
    assert.ok(!globToRegExp('mm/*').test('mm/a/b.c'));
    assert.ok(globToRegExp('arch/*/include/asm/pgtable*.h').test('arch/x86/include/asm/pgtable_64.h'));
    assert.ok(globToRegExp('**/Makefile').test('Makefile'));
    assert.ok(globToRegExp('a?.c').test('ab.c') && !globToRegExp('a?.c').test('a/.c'));
    assert.ok(!globToRegExp('mm/x.c').test('mm/xxc'));
  });
});
