import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { checkPlan, patternCanMatchSuite, planError, type DebianSuiteFacts, type PlanFacts, type PlanProblem } from '../../../src/plan/check.ts';
import { allArches } from '../../../src/arch/profile.ts';
import { cellDirName } from '../../../src/results/paths.ts';
import type { DebianPackageInfo } from '../../../src/source/debian.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { GOOD_PATCH, fakeKernelTree, validYaml } from '../cli/helpers.ts';

/** What the Debian suites offered when measured (configs/debian-archive.yaml). */
const SUITES: Record<string, DebianSuiteFacts> = {
  bullseye: { packages: [{ name: 'linux-source-5.10', candidate: '5.10.223-1', versions: ['5.10.223-1'] }], cached: [] },
  bookworm: { packages: [{ name: 'linux-source-6.1', candidate: '6.1.176-1', versions: ['6.1.176-1', '6.1.170-3'] }], cached: [] },
  trixie: { packages: [{ name: 'linux-source-6.12', candidate: '6.12.117-1', versions: ['6.12.117-1', '6.12.107-1'] }], cached: [] },
  sid: { packages: [{ name: 'linux-source-7.2', candidate: '7.2.13-1', versions: ['7.2.13-1'] }], cached: [] },
};

/** apt as on a Debian 12 host with backports: 6.1 installed, 6.12 offered; suites as measured. */
function facts(apt: Record<string, DebianPackageInfo> = {
  'linux-source-6.1': { installed: '6.1.176-1', candidate: '6.1.176-1', versions: ['6.1.176-1', '6.1.170-3'] },
  'linux-source-6.12': { installed: null, candidate: '6.12.38-1~bpo12+1', versions: ['6.12.38-1~bpo12+1'] },
}, suites: Record<string, DebianSuiteFacts> = SUITES): PlanFacts & { aptCalls: string[]; suiteCalls: string[] } {
  const aptCalls: string[] = [];
  const suiteCalls: string[] = [];
  return {
    aptCalls,
    suiteCalls,
    debianPackage: async (name) => {
      aptCalls.push(name);
      return apt[name] ?? null;
    },
    debianOffered: async () => Object.keys(apt).sort(),
    debianSuites: () => ['bullseye', 'bookworm', 'trixie', 'sid'],
    debianSuiteOffer: async (suite) => {
      suiteCalls.push(suite);
      return suites[suite] ?? { packages: [], cached: [] };
    },
    arches: allArches(),
    cellDirName,
  };
}

describe('plan check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvmatrix-plan-'));
    fakeKernelTree(join(dir, 'tree'));
    mkdirSync(join(dir, 'patches', 'fix'), { recursive: true });
    writeFileSync(join(dir, 'patches', 'fix', '0001-fix.patch'), GOOD_PATCH);
    writeFileSync(join(dir, 'patches', 'fix', 'series'), '# the fix\n0001-fix.patch\n');
    writeFileSync(join(dir, 'suite.sh'), '#!/bin/sh\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function problems(parts: Parameters<typeof validYaml>[0], f = facts(), kernels?: string[]): Promise<PlanProblem[]> {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, validYaml(parts));
    return checkPlan(loadMatrixConfig(file), f, { kernels });
  }
  const codes = (ps: PlanProblem[]) => ps.map((p) => `${p.code} ${p.at}`);

  it('passes the configs we ship (default, CI, nightly)', async () => {
    for (const name of ['matrix.yaml', 'matrix.ci.yaml', 'matrix.nightly.yaml']) {
      assert.deepEqual(await checkPlan(loadMatrixConfig(join(configsDir, name)), facts()), [], name);
    }
  });

  it('passes a valid config, and every problem names the file, a JSON path and a fix', async () => {
    assert.deepEqual(await problems({}), []);
    const ps = await problems({ arches: '[x86_46]', variants: '  - { name: base }\n  - { name: p, patches: [] }' });
    for (const p of ps) {
      assert.match(p.file, /m-.*\.yaml$/);
      assert.match(p.at, /^\/[a-z]+\//);
      assert.ok(p.hint.length > 10, p.hint);
    }
  });

  describe('arches', () => {
    it('refuses an unknown arch listing profiles and aliases', async () => {
      const [p] = await problems({ arches: '[x86_64, x86-46]' });
      assert.equal(p?.code, 'UNKNOWN_ARCH');
      assert.equal(p?.at, '/arches/1');
      assert.match(p?.message ?? '', /unknown arch "x86-46"\. Available: arm64, riscv64, x86_64 \(aliases: .*x86-64=x86_64/);
    });
    it('accepts an alias as the same arch (and refuses it next to its profile name)', async () => {
      assert.deepEqual(await problems({ arches: '[amd64, aarch64]' }), []);
      assert.deepEqual(codes(await problems({ arches: '[x86_64, x64]' })), ['DUPLICATE_ARCH /arches/1']);
    });
  });

  describe('variants and patches', () => {
    it('refuses patches: [] (or none) on a non-base variant, and patches on base', async () => {
      assert.deepEqual(codes(await problems({ variants: '  - { name: base }\n  - { name: p, patches: [] }\n  - { name: q }' })), ['VARIANT_EMPTY /variants/1/patches', 'VARIANT_EMPTY /variants/2/patches']);
      assert.deepEqual(codes(await problems({ variants: '  - { name: base, patches: [patches/fix] }' })), ['VARIANT_BASE_PATCHED /variants/0/patches']);
    });
    it('refuses missing paths, directories without series, empty series and missing series entries', async () => {
      mkdirSync(join(dir, 'patches', 'noseries'));
      mkdirSync(join(dir, 'patches', 'empty'));
      writeFileSync(join(dir, 'patches', 'empty', 'series'), '# later\n\n   \n');
      mkdirSync(join(dir, 'patches', 'holes'));
      writeFileSync(join(dir, 'patches', 'holes', 'series'), 'a.patch\n');
      const ps = await problems({ variants: '  - { name: base }\n  - { name: p, patches: [patches/gone, patches/noseries, patches/empty, patches/holes] }' });
      assert.deepEqual(codes(ps), ['PATCH_MISSING /variants/1/patches/0', 'PATCH_SERIES_MISSING /variants/1/patches/1', 'PATCH_SERIES_EMPTY /variants/1/patches/2', 'PATCH_MISSING /variants/1/patches/3']);
      assert.match(ps[0]?.message ?? '', new RegExp(`looked at ${join(dir, 'patches', 'gone')}`));
      assert.match(ps[3]?.message ?? '', /holes\/series:1: "a\.patch" not found/);
    });
    it('refuses a file with no diff (empty, prose, a directory where a file is listed)', async () => {
      writeFileSync(join(dir, 'empty.patch'), '');
      writeFileSync(join(dir, 'prose.patch'), 'From: a@b\nSubject: [PATCH] idea\n\nWe should fix this.\n');
      mkdirSync(join(dir, 'patches', 'dirlisted', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'patches', 'dirlisted', 'series'), 'sub\n');
      const ps = await problems({ variants: '  - { name: base }\n  - { name: p, patches: [empty.patch, prose.patch, patches/dirlisted] }' });
      assert.deepEqual(codes(ps), ['PATCH_NOT_A_PATCH /variants/1/patches/0', 'PATCH_NOT_A_PATCH /variants/1/patches/1', 'PATCH_MISSING /variants/1/patches/2']);
      assert.match(ps[0]?.message ?? '', /it is empty/);
    });
    it('accepts a plain diff, a git format-patch mbox and the archived email we ship', async () => {
      writeFileSync(join(dir, 'plain.diff'), '--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-a\n+b\n');
      const eml = join(configsDir, 'patches', 'uffd-wp-softdirty-v1-as-posted');
      assert.deepEqual(await problems({ variants: `  - { name: base }\n  - { name: p, patches: [plain.diff, patches/fix, ${JSON.stringify(eml)}] }` }), []);
    });
  });

  describe('suites', () => {
    it('refuses missing sources, binaries and catalogs; invalid catalogs; unknown only: names', async () => {
      writeFileSync(join(dir, 'bad-catalog.yaml'), 'programs: [{ name: x }]\n');
      const mm = join(configsDir, 'kselftests', 'mm.yaml');
      const ps = await problems({
        suites: [
          '  - { name: a, kind: c-source, source: gone.c }',
          '  - { name: b, kind: binary, path: patches }',
          '  - { name: c, kind: kselftest, catalog: gone.yaml }',
          '  - { name: d, kind: kselftest, catalog: bad-catalog.yaml }',
          `  - { name: e, kind: kselftest, catalog: ${JSON.stringify(mm)}, only: [soft-dirty, soft-dirt] }`,
        ].join('\n'),
      });
      assert.deepEqual(codes(ps), ['SUITE_MISSING /suites/0/source', 'SUITE_MISSING /suites/1/path', 'SUITE_MISSING /suites/2/catalog', 'KSELFTEST_CATALOG_INVALID /suites/3/catalog', 'KSELFTEST_UNKNOWN_PROGRAM /suites/4/only/1']);
      assert.match(ps[1]?.message ?? '', /is not a file/);
      assert.match(ps[3]?.message ?? '', /\/programs\/0: must have required property 'sources'/);
      assert.match(ps[4]?.message ?? '', /Available: soft-dirty, /);
    });
  });

  describe('expectations', () => {
    it('refuses kernels, arches, variants and suites the config does not have, listing the valid ones', async () => {
      const ps = await problems({ expectations: '  - { cases: ["s/*", "softdirty-uffwp/x"], kernels: ["6.1", "6.2"], arches: [x86_64, x86-46, arm64], variants: [base, pathced], expect: pass }' });
      assert.deepEqual(codes(ps), [
        'EXPECTATION_UNKNOWN_NAME /expectations/0/kernels/1', 'EXPECTATION_UNKNOWN_NAME /expectations/0/arches/1', 'EXPECTATION_UNKNOWN_NAME /expectations/0/arches/2',
        'EXPECTATION_UNKNOWN_NAME /expectations/0/variants/1', 'EXPECTATION_UNKNOWN_SUITE /expectations/0/cases/1',
      ]);
      assert.match(ps[1]?.message ?? '', /unknown arch "x86-46": this expectation would never apply\. Available: x86_64/);
      assert.match(ps[3]?.message ?? '', /Available: base, patched/);
    });
    it('accepts an arch alias in an expectation (x86-64 is x86_64)', async () => {
      assert.deepEqual(await problems({ expectations: '  - { cases: ["s/*"], arches: [x86-64, amd64], expect: pass }' }), []);
    });
    it('knows which case patterns can match a suite', () => {
      const suites = ['softdirty-uffdwp', 'kselftest-mm'];
      for (const ok of ['softdirty-uffdwp/shmem_*', 'kselftest-mm/soft-dirty/*', '*', '*/x', 'softdirty-*', 'kselftest-mm/*']) assert.ok(patternCanMatchSuite(ok, suites), ok);
      for (const bad of ['softdirty-uffwp/x', 'softdirty-uffdwp', 'shmem_*', 'kselftest/*', '']) assert.ok(!patternCanMatchSuite(bad, suites), bad);
    });
  });

  describe('cells', () => {
    it('refuses kernel ids that become the same directory name', async () => {
      const ps = await problems({ kernels: '  - { id: "a b", source: { provider: local, path: tree } }\n  - { id: "a:b", source: { provider: local, path: tree } }\n  - { id: "a_c", source: { provider: local, path: tree } }' });
      assert.deepEqual(codes(ps), ['CELL_ID_COLLISION /kernels/0/id and /kernels/1/id']);
      assert.match(ps[0]?.message ?? '', /"a b\/x86_64\/base" and "a:b\/x86_64\/base" would share the result directory cells\/a_b_x86_64_base/);
    });
  });

  describe('sources', () => {
    it('limits tarball URLs to http(s) archives', async () => {
      const k = (url: string) => `  - { id: t, source: { provider: tarball, url: ${JSON.stringify(url)} } }`;
      assert.deepEqual(await problems({ kernels: k('https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.1.1.tar.xz') }), []);
      assert.deepEqual(await problems({ kernels: k('http://127.0.0.1:8080/linux-6.1.1.tar.gz') }), []);
      assert.deepEqual(codes(await problems({ kernels: k('file:///srv/linux-6.1.1.tar.xz') })), ['SOURCE_URL_SCHEME /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('https://example.org/linux-6.1.1.zip') })), ['SOURCE_SPEC /kernels/0/source/url']);
    });
    it('limits git URLs to https, git, ssh and local repositories; no remote helpers; safe refs', async () => {
      mkdirSync(join(dir, 'repo.git'));
      writeFileSync(join(dir, 'repo.git', 'HEAD'), 'ref: refs/heads/main\n');
      const k = (url: string, ref = 'main') => `  - { id: g, source: { provider: git, url: ${JSON.stringify(url)}, ref: ${JSON.stringify(ref)} } }`;
      for (const ok of ['https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git', 'git://127.0.0.1:9418/linux.git', 'ssh://git@host/linux.git', 'git@host:linux.git', 'repo.git', join(dir, 'repo.git'), `file://${join(dir, 'repo.git')}`]) {
        assert.deepEqual(await problems({ kernels: k(ok) }), [], ok);
      }
      assert.deepEqual(codes(await problems({ kernels: k('ext::sh -c touch% /tmp/x') })), ['SOURCE_URL_SCHEME /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('fd::3') })), ['SOURCE_URL_SCHEME /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('http://example.org/linux.git') })), ['SOURCE_URL_SCHEME /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('ftp://example.org/linux.git') })), ['SOURCE_URL_SCHEME /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('--upload-pack=touch') })), ['SOURCE_SPEC /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('no-such-repo') })), ['SOURCE_NOT_A_REPO /kernels/0/source/url']);
      assert.deepEqual(codes(await problems({ kernels: k('https://h/l.git', '--exec=x') })), ['SOURCE_SPEC /kernels/0/source/ref']);
      assert.deepEqual(codes(await problems({ kernels: k('https://h/l.git', 'main..evil') })), ['SOURCE_SPEC /kernels/0/source/ref']);
    });
    it('resolves local paths from the config directory and wants a kernel tree there', async () => {
      mkdirSync(join(dir, 'not-a-tree'));
      writeFileSync(join(dir, 'a-file'), '');
      const k = (path: string) => `  - { id: l, source: { provider: local, path: ${JSON.stringify(path)} } }`;
      assert.deepEqual(await problems({ kernels: k('tree') }), []);
      assert.deepEqual(await problems({ kernels: k('./tree/') }), []);
      const ps = [...await problems({ kernels: k('gone') }), ...await problems({ kernels: k('not-a-tree') }), ...await problems({ kernels: k('a-file') })];
      assert.deepEqual(ps.map((p) => p.code), ['SOURCE_NOT_A_TREE', 'SOURCE_NOT_A_TREE', 'SOURCE_NOT_A_TREE']);
      assert.match(ps[0]?.message ?? '', new RegExp(`^${join(dir, 'gone')} does not exist`));
      assert.match(ps[1]?.message ?? '', /is not a kernel source tree/);
      assert.match(ps[2]?.message ?? '', /is not a directory/);
    });
    it('asks apt about Debian packages once each; unknown ones list what apt offers', async () => {
      const f = facts();
      const ps = await problems({ kernels: '  - { id: a, source: { provider: debian, package: linux-source-9.99 } }\n  - { id: b, source: { provider: debian, package: linux-source-9.99 } }\n  - { id: c, source: { provider: debian, package: linux-source-6.12 } }' }, f);
      assert.deepEqual(codes(ps), ['SOURCE_UNKNOWN_PACKAGE /kernels/0/source/package', 'SOURCE_UNKNOWN_PACKAGE /kernels/1/source/package']);
      assert.match(ps[0]?.message ?? '', /apt does not know linux-source-9\.99\. Available: linux-source-6\.1, linux-source-6\.12/);
      assert.deepEqual(f.aptCalls, ['linux-source-9.99', 'linux-source-6.12']);
    });
    it('checks a pinned Debian version against what is installed or offered', async () => {
      const k = (v: string) => `  - { id: a, source: { provider: debian, package: linux-source-6.1, version: ${JSON.stringify(v)} } }`;
      assert.deepEqual(await problems({ kernels: k('6.1.170-3') }), []);
      const [p] = await problems({ kernels: k('6.1.99-1') });
      assert.equal(p?.code, 'SOURCE_VERSION');
      assert.match(p?.message ?? '', /Available: 6\.1\.176-1, 6\.1\.170-3/);
    });
    it('leaves an unknown package to provisioning when apt knows no kernel source at all (lists never fetched)', async () => {
      assert.deepEqual(await problems({ kernels: '  - { id: a, source: { provider: debian, package: linux-source-6.1, suite: bookworm } }' }, facts({})), []);
    });
    describe('Debian suites', () => {
      const src = (id: string, rest: string) => `  - { id: ${id}, source: { provider: debian, ${rest} } }`;
      it('takes a package the suite offers, asking each suite once and never the host\'s apt', async () => {
        const f = facts();
        const kernels = [src('a', 'package: linux-source-6.12, suite: trixie'), src('b', 'package: linux-source-6.12, suite: trixie, version: 6.12.107-1'), src('c', 'package: linux-source-6.1, suite: bookworm')].join('\n');
        assert.deepEqual(await problems({ kernels }, f), []);
        assert.deepEqual(f.suiteCalls, ['trixie', 'bookworm']);
        assert.deepEqual(f.aptCalls, []);
      });
      it('refuses an unknown suite, listing the known ones, without asking the archive', async () => {
        const f = facts();
        const ps = await problems({ kernels: src('a', 'package: linux-source-6.12, suite: trixy') }, f);
        assert.deepEqual(codes(ps), ['SOURCE_UNKNOWN_SUITE /kernels/0/source/suite']);
        assert.equal(ps[0]?.message, 'unknown Debian suite "trixy". Available: bullseye, bookworm, trixie, sid');
        assert.match(ps[0]?.hint ?? '', /configs\/debian-archive\.yaml/);
        assert.deepEqual(f.suiteCalls, []);
      });
      it('refuses a package the suite does not have, listing what it offers', async () => {
        const [p] = await problems({ kernels: src('a', 'package: linux-source-6.12, suite: bookworm') });
        assert.equal(p?.code, 'SOURCE_UNKNOWN_PACKAGE');
        assert.equal(p?.at, '/kernels/0/source/package');
        assert.equal(p?.message, 'bookworm has no linux-source-6.12. Available in bookworm: linux-source-6.1 6.1.176-1');
      });
      it('refuses a pinned version the suite does not offer, listing the versions it does', async () => {
        const [p] = await problems({ kernels: src('a', 'package: linux-source-6.12, suite: trixie, version: 6.12.99-1') });
        assert.equal(p?.code, 'SOURCE_VERSION');
        assert.equal(p?.at, '/kernels/0/source/version');
        assert.equal(p?.message, 'trixie does not offer linux-source-6.12 6.12.99-1. Available in trixie: linux-source-6.12 6.12.117-1, 6.12.107-1');
      });
      it('accepts a pinned version the suite dropped while the cache still holds it unpacked', async () => {
        const suites = { ...SUITES, trixie: { ...(SUITES.trixie as DebianSuiteFacts), cached: ['linux-source-6.12=6.12.38-1'] } };
        assert.deepEqual(await problems({ kernels: src('a', 'package: linux-source-6.12, suite: trixie, version: 6.12.38-1') }, facts(undefined, suites)), []);
      });
      it('leaves an unreachable archive (no lists) to the source stage, but still knows suite names', async () => {
        const down = { trixie: { packages: [], cached: [], unavailable: 'cannot reach http://deb.debian.org/debian trixie' } };
        assert.deepEqual(await problems({ kernels: src('a', 'package: linux-source-6.12, suite: trixie') }, facts(undefined, down)), []);
        assert.deepEqual(codes(await problems({ kernels: src('a', 'package: linux-source-6.12, suite: trixy') }, facts(undefined, down))), ['SOURCE_UNKNOWN_SUITE /kernels/0/source/suite']);
      });
      it('refuses a malformed suite or version in the schema', async () => {
        const file = join(dir, 'bad.yaml');
        writeFileSync(file, validYaml({ kernels: src('a', 'package: linux-source-6.12, suite: ../etc, version: "latest"') }));
        assert.throws(() => loadMatrixConfig(file), (err: Error) => /\/kernels\/0\/source\/suite/.test(err.message) && /\/kernels\/0\/source\/version/.test(err.message));
      });
    });
    it('checks only the sources of the kernels in scope', async () => {
      const f = facts();
      const kernels = '  - { id: a, source: { provider: debian, package: linux-source-9.99 } }\n  - { id: b, source: { provider: local, path: gone } }\n  - { id: c, source: { provider: local, path: tree } }';
      assert.deepEqual(await problems({ kernels }, f, ['c']), []);
      assert.deepEqual(f.aptCalls, []);
      assert.deepEqual(codes(await problems({ kernels }, facts(), ['b'])), ['SOURCE_NOT_A_TREE /kernels/1/source/path']);
    });
  });

  describe('planError', () => {
    const p = (code: string, at: string): PlanProblem => ({ code, file: '/c/m.yaml', at, message: `${code} happened`, hint: `fix ${code}` });
    it('is null without problems, the problem itself for one, a list with a fix per problem for several', () => {
      assert.equal(planError([]), null);
      const one = planError([p('PATCH_MISSING', '/variants/1/patches/0')]);
      assert.equal(one?.code, 'PATCH_MISSING');
      assert.equal(one?.message, '/c/m.yaml: /variants/1/patches/0: PATCH_MISSING happened');
      assert.match(one?.hint ?? '', /^fix PATCH_MISSING; nothing was started$/);
      const many = planError([p('A', '/kernels/0'), p('B', '/arches/1')]);
      assert.equal(many?.code, 'PLAN_INVALID');
      assert.match(many?.describe() ?? '', /^error \[PLAN_INVALID\]: 2 problems found before anything ran:\n {2}\/c\/m\.yaml: \/kernels\/0: A happened\n {4}fix: fix A\n {2}\/c\/m\.yaml: \/arches\/1: B happened\n {4}fix: fix B\n {2}fix: fix them and rerun; nothing was started$/);
    });
  });
});
