// Real builds of the catalog against the Debian 6.1 (bookworm) and 6.12
// (trixie) trees, fetched into the cache like the matrices do: uapi headers
// installed out of tree, every program static and for the right machine, the
// pristine tree untouched, the second call served from the cache.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { debianProvider } from '../../src/source/debian.ts';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildKselftests } from '../../src/kselftest/build.ts';
import { loadKselftestCatalog } from '../../src/kselftest/catalog.ts';
import { EM, readElfInfo } from '../../src/kselftest/elf.ts';
import type { KselftestProgram } from '../../src/kselftest/types.ts';
import { getArch } from '../../src/arch/profile.ts';
import { run } from '../../src/exec/run.ts';
import { cacheDir, configsDir } from '../../src/util/paths.ts';
import type { KernelSource } from '../../src/source/types.ts';

const CATALOG = loadKselftestCatalog(join(configsDir, 'kselftests', 'mm.yaml'));
/** Proves that a program that does not link ends in `skipped`, not in an exception. */
const BROKEN: KselftestProgram = {
  name: 'broken-link', sources: [['mm/madv_populate.c', 'mm/vm_util.c'], ['vm/madv_populate.c', 'vm/vm_util.c']],
  ldlibs: ['-lkvmatrix_no_such_lib'], args: [], timeoutMs: 1000, setup: [], cflags: [],
};

/** A Debian suite's linux-source tree, fetched into the cache as the matrices do (a second each when cached). */
async function debianSource(pkg: string, suite: string): Promise<KernelSource> {
  const src = await debianProvider.fetch({ cacheDir: cacheDir(), report: () => undefined }, { provider: 'debian', package: pkg, suite }, join(mkdtempSync(join(tmpdir(), 'kvmatrix-kst-src-')), 'source.log'));
  // Real path: `find` must not stop at a symlink.
  return { ...src, tree: realpathSync(src.tree) };
}

/** Files and dirs under `tree` modified or changed after `marker` (a pristine tree must have none). */
async function touchedSince(tree: string, marker: string): Promise<string[]> {
  const r = await run('find', [tree, '(', '-newer', marker, '-o', '-cnewer', marker, ')', '-print']);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

function expectStatic(path: string, machine: number): void {
  assert.ok(statSync(path).mode & 0o111, `${path} is executable`);
  const elf = readElfInfo(path);
  assert.equal(elf.machine, machine, `${path}: e_machine`);
  assert.equal(elf.hasInterp, false, `${path}: static (no PT_INTERP)`);
  assert.equal(elf.bits, 64);
}

type Built = Awaited<ReturnType<typeof buildKselftests>>;
const byName = <T extends { name: string }>(xs: T[]) => Object.fromEntries(xs.map((x) => [x.name, x]));

describe('kselftest real build (Debian 6.1 and 6.12 trees)', function () {
  this.timeout(600000);
  const cache = mkdtempSync(join(tmpdir(), 'kvmatrix-kst-real-'));
  const log = join(cache, 'build.log');
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('builds the mm catalog from the 6.1 tree for x86_64 and arm64 (cross): static, right machine, tree untouched, cached', async () => {
    const src = await debianSource('linux-source-6.1', 'bookworm');
    const tree = src.tree;
    const marker = join(cache, 'marker');
    writeFileSync(marker, '');
    await new Promise((r) => setTimeout(r, 1100)); // mtime granularity: anything after this is "newer"

    for (const [archName, machine] of [['x86_64', EM.X86_64], ['arm64', EM.AARCH64]] as const) {
      const arch = getArch(archName);
      const t0 = Date.now();
      // Two builders at once on a cold cache (two cells of the same kernel and
      // arch): the locks make one wait for the other, both get the same binaries.
      const [r, twin]: [Built, Built] = await Promise.all([
        buildKselftests(cache, src, arch, [...CATALOG, BROKEN], log),
        buildKselftests(cache, src, arch, [...CATALOG, BROKEN], log),
      ]);
      const cold = Date.now() - t0;
      assert.deepEqual(twin, r);
      const built = byName(r.built);
      const skipped = byName(r.skipped);
      // arm64: no soft-dirty, and the 6.1 uffd stress test needs uffd-wp (arm64 has it from 6.10).
      const expectBuilt = ['madv-populate', ...(archName === 'x86_64' ? ['soft-dirty', 'userfaultfd-anon', 'userfaultfd-shmem', 'userfaultfd-hugetlb', 'userfaultfd-hugetlb-shared'] : [])];
      assert.deepEqual(Object.keys(built).sort(), expectBuilt.sort(), `${archName}: built; skipped were ${JSON.stringify(r.skipped)}`);
      for (const b of r.built) expectStatic(b.path, machine);
      if (archName === 'x86_64') {
        assert.deepEqual(built['userfaultfd-anon']?.args, ['anon', '16', '8']);
        assert.deepEqual(built['userfaultfd-hugetlb']?.setup, ['echo 64 > /proc/sys/vm/nr_hugepages', 'echo 0 > /proc/sys/kernel/randomize_va_space']);
        assert.equal(built['userfaultfd-anon']?.timeoutMs, 180000);
      } else {
        assert.match(skipped['userfaultfd-anon']?.reason ?? '', /^not for kernel 6\.1\.\d+ on arm64 \(catalog range for arm64: >= 6\.10\)$/);
      }
      assert.match(skipped.mkdirty?.reason ?? '', /^not in this tree \(looked for mm\/mkdirty\.c\)$/);
      assert.match(skipped['uffd-unit-tests']?.reason ?? '', /^not in this tree/);
      assert.match(skipped['broken-link']?.reason ?? '', /^compile failed: .*cannot find -lkvmatrix_no_such_lib.*\(no static libkvmatrix_no_such_lib for /);
      if (archName === 'arm64') assert.equal(skipped['soft-dirty']?.reason, 'not for arm64 (catalog arches: x86_64, riscv64)');
      // The binaries were built against this tree's headers, recorded next to them.
      const meta = JSON.parse(readFileSync(join(built['madv-populate']?.path ?? '', '..', 'build.json'), 'utf8')) as { sources: string[]; command: string[] };
      assert.deepEqual(meta.sources, ['vm/madv_populate.c', 'vm/vm_util.c']);
      assert.ok(meta.command.some((a) => a.endsWith('/usr/include')));

      const t1 = Date.now();
      const again = await buildKselftests(cache, src, arch, [...CATALOG, BROKEN], log);
      const warm = Date.now() - t1;
      assert.deepEqual(again.built, r.built, 'same paths from the cache');
      process.stdout.write(`      ${archName}: cold ${(cold / 1000).toFixed(1)} s, cached ${warm} ms, built ${r.built.length}, skipped ${r.skipped.length}\n`);
      assert.ok(warm < 5000, `cached call took ${warm} ms`);
    }
    assert.deepEqual(await touchedSince(tree, marker), [], 'headers_install and the compiles never write into the pristine tree');
    // Exactly one headers dir per arch, each with the obj dir cleaned away.
    const hdrs = readdirSync(join(cache, 'kselftest')).filter((d) => /^[0-9a-f]{16}$/.test(d));
    assert.equal(hdrs.length, 2);
    for (const h of hdrs) {
      assert.ok(existsSync(join(cache, 'kselftest', h, 'usr/include/linux/userfaultfd.h')));
      assert.ok(!existsSync(join(cache, 'kselftest', h, 'obj')));
    }
  });

  it('builds the mm/ catalog from a 6.12 tree too when one is unpacked (mkdirty, uffd-unit-tests, pagemap-ioctl)', async () => {
    const source = await debianSource('linux-source-6.12', 'trixie');
    const r = await buildKselftests(cache, source, getArch('x86_64'), CATALOG, log);
    const built = byName(r.built);
    for (const n of ['soft-dirty', 'madv-populate', 'userfaultfd-anon', 'userfaultfd-shmem', 'mkdirty', 'uffd-unit-tests', 'pagemap-ioctl']) {
      const b = built[n];
      assert.ok(b, `${n} built; skipped: ${JSON.stringify(r.skipped)}`);
      expectStatic(b.path, EM.X86_64);
    }
    assert.match(byName(r.skipped)['userfaultfd-hugetlb']?.reason ?? '', /^not in this tree \(looked for vm\/userfaultfd\.c\)$/);
  });

  it('builds from a 5.10 tree (selftests still in vm/, no vm_util.c) and says why the rest does not apply', async () => {
    const source = await debianSource('linux-source-5.10', 'bullseye');
    const r = await buildKselftests(cache, source, getArch('x86_64'), CATALOG, log);
    const built = byName(r.built);
    for (const n of ['userfaultfd-anon', 'userfaultfd-shmem']) {
      assert.ok(built[n], `${n} built; skipped: ${JSON.stringify(r.skipped)}`);
      expectStatic(built[n].path, EM.X86_64);
    }
    const skipped = byName(r.skipped);
    for (const n of ['soft-dirty', 'mkdirty', 'uffd-unit-tests', 'pagemap-ioctl']) assert.match(skipped[n]?.reason ?? '', /^not (in this tree|for kernel 5\.10)/, n);
  });

  it('builds the mm/ catalog from the newest tree (7.2) for x86_64, arm64 (uffd stress back from 6.10) and riscv64 (cross)', async () => {
    const source = await debianSource('linux-source-7.2', 'sid');
    for (const [arch, machine] of [['x86_64', EM.X86_64], ['arm64', EM.AARCH64], ['riscv64', EM.RISCV]] as const) {
      const r = await buildKselftests(cache, source, getArch(arch), CATALOG, log);
      const built = byName(r.built);
      const want = ['madv-populate', 'mkdirty', 'uffd-unit-tests', 'pagemap-ioctl', ...(arch === 'riscv64' ? [] : ['userfaultfd-anon', 'userfaultfd-shmem'])];
      for (const n of want) {
        assert.ok(built[n], `${arch}: ${n} built; skipped: ${JSON.stringify(r.skipped)}`);
        expectStatic(built[n].path, machine);
      }
    }
  });
});
