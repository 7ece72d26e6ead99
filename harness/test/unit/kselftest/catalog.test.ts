import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadKselftestCatalog, notApplicable, versionApplies } from '../../../src/kselftest/catalog.ts';
import { UserError } from '../../../src/errors.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { getArch } from '../../../src/arch/profile.ts';
import type { KselftestProgram } from '../../../src/kselftest/types.ts';

const temps: string[] = [];
const track = (d: string) => (temps.push(d), d);
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));


const MM = join(configsDir, 'kselftests', 'mm.yaml');

function writeCatalog(text: string): string {
  const file = join(track(mkdtempSync(join(tmpdir(), 'kvmatrix-kst-cat-'))), 'cat.yaml');
  writeFileSync(file, text);
  return file;
}

function invalid(file: string, ...patterns: RegExp[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe('kselftest catalog', () => {
  it('loads configs/kselftests/mm.yaml with defaults filled in', () => {
    const programs = loadKselftestCatalog(MM);
    const names = programs.map((p) => p.name);
    for (const n of ['soft-dirty', 'userfaultfd-anon', 'userfaultfd-shmem', 'mkdirty', 'uffd-unit-tests']) assert.ok(names.includes(n), n);
    assert.equal(new Set(names).size, names.length);
    for (const p of programs) {
      assert.ok(Array.isArray(p.args) && Array.isArray(p.setup), p.name);
      assert.ok(p.timeoutMs >= 60_000, `${p.name}: TCG needs a generous timeout`);
      assert.ok(p.why && p.why.length > 10, `${p.name}: says why it is in`);
      for (const c of p.sources) for (const f of c) assert.match(f, /^(vm|mm)\//);
    }
    const sd = programs.find((p) => p.name === 'soft-dirty');
    assert.deepEqual(sd?.arches, ['x86_64', { name: 'riscv64', minVersion: '6.12' }]);
    assert.deepEqual(programs.find((p) => p.name === 'userfaultfd-anon')?.arches, ['x86_64', { name: 'arm64', minVersion: '6.10' }, { name: 'riscv64', minVersion: '6.12' }]);
    assert.deepEqual(programs.find((p) => p.name === 'userfaultfd-anon')?.args, ['anon', '16', '8']);
  });

  it('reports every schema problem with the file and the JSON path', () => {
    const file = writeCatalog(`programs:
  - name: ok
    sources: [[mm/a.c]]
    timeoutMs: 1000
  - name: Bad Name
    sources: [[../../etc/x.c], [/abs.c]]
    timeoutMs: 10
    colour: red
  - name: nosrc
    sources: []
    timeoutMs: 5000
    ldlibs: [pthread]
    minVersion: six
`);
    assert.throws(() => loadKselftestCatalog(file), invalid(file,
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: /programs/1/name: must match pattern`),
      /\/programs\/1\/sources\/0\/0: must match pattern/,
      /\/programs\/1\/sources\/1\/0: must match pattern/,
      /\/programs\/1\/timeoutMs: must be >= 1000/,
      /\/programs\/1: unknown key "colour"/,
      /\/programs\/2\/sources: must NOT have fewer than 1 items/,
      /\/programs\/2\/ldlibs\/0: must match pattern/,
      /\/programs\/2\/minVersion: must match pattern/));
    try {
      loadKselftestCatalog(file);
    } catch (e) {
      assert.equal((e as UserError).code, 'KSELFTEST_CATALOG_INVALID');
    }
  });

  it('rejects duplicate names and inverted version ranges, and a missing programs key', () => {
    const dup = writeCatalog(`programs:
  - { name: a, sources: [[mm/a.c]], timeoutMs: 1000 }
  - { name: a, sources: [[mm/b.c]], timeoutMs: 1000, minVersion: "6.4", maxVersion: "6.3" }
`);
    assert.throws(() => loadKselftestCatalog(dup), invalid(dup, /\/programs\/1\/name: duplicate name "a" \(first at \/programs\/0\)/, /\/programs\/1: minVersion 6.4 is above maxVersion 6.3/));
    const empty = writeCatalog('description: nothing\n');
    assert.throws(() => loadKselftestCatalog(empty), invalid(empty, /: \/: must have required property 'programs'/));
  });

  it('names the file and line of a YAML syntax error', () => {
    const file = writeCatalog('programs:\n  - name: [unclosed\n');
    assert.throws(() => loadKselftestCatalog(file), (e: unknown) => e instanceof UserError && e.code === 'CONFIG_YAML' && e.message.includes(file));
  });

  it('applies version bounds inclusively, on as many parts as given', () => {
    assert.ok(versionApplies('6.1.192'));
    assert.ok(versionApplies('6.3.0', '6.3'));
    assert.ok(!versionApplies('6.2.16', '6.3'));
    assert.ok(versionApplies('6.3.13', undefined, '6.3'));
    assert.ok(!versionApplies('6.4.0', undefined, '6.3'));
    assert.ok(!versionApplies('6.3.13', undefined, '6.3.5'));
    assert.ok(versionApplies('6.1.192', '5.19', '6'));
    assert.ok(versionApplies('6.3-rc1', '6.3'));
  });

  it('says why a program does not apply to an arch or a version', () => {
    const p: KselftestProgram = { name: 'x', sources: [['mm/x.c']], args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [], arches: ['x86_64'], minVersion: '6.3' };
    assert.equal(notApplicable(p, '6.12.48', getArch('x86_64')), null);
    assert.equal(notApplicable(p, '6.12.48', getArch('arm64')), 'not for arm64 (catalog arches: x86_64)');
    assert.equal(notApplicable(p, '6.1.192', getArch('x86_64')), 'not for kernel 6.1.192 (catalog range: >= 6.3)');
    assert.equal(notApplicable({ ...p, arches: ['amd64'] }, '6.12', getArch('x86_64')), null, 'aliases count');
    assert.match(notApplicable({ ...p, maxVersion: '6.3' }, '6.12.1', getArch('x86_64')) ?? '', /range: >= 6\.3, <= 6\.3\.y/);
  });

  it('narrows the versions per arch: uffd-wp on arm64 only from 6.10', () => {
    const p: KselftestProgram = { name: 'x', sources: [['mm/x.c']], args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [], arches: ['x86_64', { name: 'aarch64', minVersion: '6.10' }] };
    assert.equal(notApplicable(p, '6.1.176', getArch('x86_64')), null);
    assert.equal(notApplicable(p, '6.1.176', getArch('arm64')), 'not for kernel 6.1.176 on arm64 (catalog range for arm64: >= 6.10)');
    assert.equal(notApplicable(p, '6.10', getArch('arm64')), null);
    assert.equal(notApplicable(p, '7.2.13', getArch('arm64')), null);
    // The program's own range still comes first, and arches without an entry are named by entry name.
    assert.equal(notApplicable({ ...p, minVersion: '6.4' }, '6.1.176', getArch('arm64')), 'not for kernel 6.1.176 (catalog range: >= 6.4)');
    assert.equal(notApplicable({ ...p, arches: [{ name: 'arm64', maxVersion: '6.9' }] }, '6.12', getArch('x86_64')), 'not for x86_64 (catalog arches: arm64)');
    assert.match(notApplicable({ ...p, arches: [{ name: 'arm64', maxVersion: '6.9' }] }, '6.12', getArch('arm64')) ?? '', /for arm64: <= 6\.9\.y\)$/);
  });

  it('rejects an inverted per-arch range and an unknown key in an arch entry', () => {
    const bad = writeCatalog(`programs:
  - { name: a, sources: [[mm/a.c]], timeoutMs: 1000, arches: [x86_64, { name: arm64, minVersion: "6.10", maxVersion: "6.9" }] }
`);
    assert.throws(() => loadKselftestCatalog(bad), invalid(bad, /\/programs\/0\/arches\/1: minVersion 6.10 is above maxVersion 6.9/));
    const typo = writeCatalog(`programs:
  - { name: a, sources: [[mm/a.c]], timeoutMs: 1000, arches: [{ name: arm64, minVerson: "6.10" }] }
`);
    assert.throws(() => loadKselftestCatalog(typo), /\/programs\/0\/arches\/0/);
  });
});
