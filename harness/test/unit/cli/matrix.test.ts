// `kvmatrix matrix` on configs with one broken reference each: exit 2 naming
// the file and the field, before anything is created (results, latest, cache).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.ts';
import { assertUserError, configDir, kvmatrix, refusalSandbox, validYaml } from './helpers.ts';

describe('kvmatrix matrix: the plan is checked before anything is created', function () {
  this.timeout(60_000);
  const box = refusalSandbox();
  const { assertNothingWritten } = box;

  async function matrixWith(yaml: Parameters<typeof validYaml>[0], extra?: (d: string) => void, args: string[] = []) {
    const file = configDir(box.sb.root, () => validYaml(yaml), extra);
    return { file, r: await kvmatrix(box.sb, ['matrix', '--config', file, ...args]) };
  }

  const cases: { what: string; yaml: Parameters<typeof validYaml>[0]; extra?: (d: string) => void; code: string; at: string; mentions?: (string | RegExp)[] }[] = [
    { what: 'a missing patch directory', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [patches/nope] }' }, code: 'PATCH_MISSING', at: '/variants/1/patches/0', mentions: ['patches/nope'] },
    { what: 'a patch directory without series', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [patches/noseries] }' }, extra: (d) => mkdirSync(join(d, 'patches', 'noseries')), code: 'PATCH_SERIES_MISSING', at: '/variants/1/patches/0', mentions: ['without a series file'] },
    { what: 'an empty series', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [patches/empty] }' }, extra: (d) => { mkdirSync(join(d, 'patches', 'empty')); writeFileSync(join(d, 'patches', 'empty', 'series'), '# nothing yet\n\n'); }, code: 'PATCH_SERIES_EMPTY', at: '/variants/1/patches/0', mentions: ['would equal base'] },
    { what: 'a series naming a missing file', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [patches/fix] }' }, extra: (d) => writeFileSync(join(d, 'patches', 'fix', 'series'), '0001-fix.patch\n0002-gone.patch\n'), code: 'PATCH_MISSING', at: '/variants/1/patches/0', mentions: [/series:2: "0002-gone.patch" not found/] },
    { what: 'patches: [] on a non-base variant', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [] }' }, code: 'VARIANT_EMPTY', at: '/variants/1/patches', mentions: ['would build exactly the base kernel'] },
    { what: 'a patch file with no diff in it', yaml: { variants: '  - { name: base }\n  - { name: patched, patches: [notes.txt] }' }, extra: (d) => writeFileSync(join(d, 'notes.txt'), 'Subject: just words\n\nno diff here\n'), code: 'PATCH_NOT_A_PATCH', at: '/variants/1/patches/0' },
    { what: 'a missing suite program', yaml: { suites: '  - { name: s, kind: binary, path: nope.sh }' }, code: 'SUITE_MISSING', at: '/suites/0/path' },
    { what: 'a missing local tree (relative to the config)', yaml: { kernels: '  - { id: "6.1", source: { provider: local, path: no-such-tree } }' }, code: 'SOURCE_NOT_A_TREE', at: '/kernels/0/source/path', mentions: [/cfg-[^/]+\/no-such-tree does not exist/] },
    { what: 'a file:// tarball', yaml: { kernels: '  - { id: "6.1", source: { provider: tarball, url: "file:///srv/linux-6.1.tar.xz" } }' }, code: 'SOURCE_URL_SCHEME', at: '/kernels/0/source/url', mentions: ['only https:// and http://'] },
    { what: 'an ext:: git URL', yaml: { kernels: '  - { id: "6.1", source: { provider: git, url: "ext::sh -c touch% /tmp/kvmatrix-pwned", ref: main } }' }, code: 'SOURCE_URL_SCHEME', at: '/kernels/0/source/url', mentions: ['remote helper'] },
    { what: 'an expectation arch typo', yaml: { expectations: '  - { cases: ["s/*"], arches: [x86-46], expect: pass }' }, code: 'EXPECTATION_UNKNOWN_NAME', at: '/expectations/0/arches/0', mentions: ['Available: x86_64'] },
    { what: 'an expectation variant typo', yaml: { expectations: '  - { cases: ["s/*"], variants: [pathced], expect: fail }' }, code: 'EXPECTATION_UNKNOWN_NAME', at: '/expectations/0/variants/0', mentions: ['Available: base, patched'] },
    { what: 'an expectation suite typo', yaml: { expectations: '  - { cases: ["softdirty-uffwp/*"], expect: pass }' }, code: 'EXPECTATION_UNKNOWN_SUITE', at: '/expectations/0/cases/0' },
    { what: 'an unknown arch', yaml: { arches: '[x86_46]' }, code: 'UNKNOWN_ARCH', at: '/arches/0', mentions: ['Available: arm64, riscv64, x86_64'] },
    { what: 'an arch listed twice', yaml: { arches: '[x86_64, x86_64]' }, code: 'DUPLICATE_ARCH', at: '/arches/1' },
    { what: 'an arch listed twice under an alias', yaml: { arches: '[x86_64, amd64]' }, code: 'DUPLICATE_ARCH', at: '/arches/1' },
    {
      what: 'kernel ids that collide as directory names', yaml: { kernels: '  - { id: "a b", source: { provider: local, path: tree } }\n  - { id: "a:b", source: { provider: local, path: tree } }' },
      code: 'CELL_ID_COLLISION', at: '/kernels/0/id and /kernels/1/id', mentions: ['cells/a_b_x86_64_base'],
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.what}: exit 2, file and field named, nothing written`, async () => {
      const { file, r } = await matrixWith(c.yaml, c.extra);
      assertUserError(r, c.code, `${file}: ${c.at}: `, ...(c.mentions ?? []));
      assertNothingWritten();
    });
  }

  it('reports every problem at once, in config order, with a fix per problem', async () => {
    const { file, r } = await matrixWith({ variants: '  - { name: base }\n  - { name: patched, patches: [] }', arches: '[x86_64, x86_46]' });
    assertUserError(r, 'PLAN_INVALID', '2 problems', `${file}: /variants/1/patches:`, `${file}: /arches/1:`);
    assert.ok(r.stderr.indexOf('/variants/1') < r.stderr.indexOf('/arches/1'), r.stderr);
    assert.equal((r.stderr.match(/^ {4}fix: /gm) ?? []).length, 2, r.stderr);
    assertNothingWritten();
  });

  it('refuses a Debian source apt does not know, listing what it offers, without running apt', async function () {
    const offered = await run('apt-cache', ['search', '--names-only', '^linux-source-[0-9.]+$']).catch(() => null);
    // With empty apt lists the check defers to provisioning (apt-get update): not something to run in a unit test.
    if (!offered || offered.exitCode !== 0 || offered.stdout.trim() === '') this.skip();
    const { file, r } = await matrixWith({ kernels: '  - { id: "9.99", source: { provider: debian, package: linux-source-9.99 } }' });
    assertUserError(r, 'SOURCE_UNKNOWN_PACKAGE', `${file}: /kernels/0/source/package: apt does not know linux-source-9.99. Available: linux-source-`);
    assert.doesNotMatch(r.stderr, /apt-get install|installing/);
    assertNothingWritten();
  });

  it('checks only the sources of the kernels --kernel selects', async () => {
    const { file, r } = await matrixWith(
      { kernels: '  - { id: "6.1", source: { provider: local, path: tree } }\n  - { id: other, source: { provider: local, path: gone } }', variants: '  - { name: base }\n  - { name: patched, patches: [] }' },
      undefined, ['--kernel', 'other'],
    );
    // The unselected kernel's tree is not looked at; the config's own mistakes still are.
    assertUserError(r, 'PLAN_INVALID', `${file}: /kernels/1/source/path:`, `${file}: /variants/1/patches:`);
    const r2 = await kvmatrix(box.sb, ['matrix', '--config', file, '--kernel', '6.1']);
    assertUserError(r2, 'VARIANT_EMPTY');
    assert.doesNotMatch(r2.stderr, /\/kernels\/1/);
    assertNothingWritten();
  });

  it('refuses --out that is a file, leaving it alone', async () => {
    const file = configDir(box.sb.root, () => validYaml());
    const notADir = join(box.sb.root, 'passwd');
    writeFileSync(notADir, 'root:x:0:0\n');
    const r = await kvmatrix(box.sb, ['matrix', '--config', file, '--out', notADir]);
    assertUserError(r, 'OUT_DIR_INVALID', `--out ${notADir} is a file, not a directory`);
    const r2 = await kvmatrix(box.sb, ['matrix', '--config', file, '--out', join(notADir, 'sub')]);
    assertUserError(r2, 'OUT_DIR_INVALID', `${notADir} is a file`);
    assertNothingWritten();
  });

  it('refuses a config that is missing or a directory, and bad flag values', async () => {
    assertUserError(await kvmatrix(box.sb, ['matrix', '--config', join(box.sb.root, 'nope.yaml')]), 'CONFIG_MISSING', 'not found');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--config', box.sb.root]), 'CONFIG_MISSING', 'is not a file');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--jobs', 'abc']), 'USAGE', '--jobs takes an integer from 1 to 64, got "abc"');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--accel', 'banana']), 'USAGE', '--accel must be one of: auto, kvm, tcg; got "banana"');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--shard', '4/3']), 'USAGE', '--shard: must look like I/N');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--kernel']), 'USAGE', '--kernel needs a value (ID)');
    assertUserError(await kvmatrix(box.sb, ['matrix', '--confg', 'x']), 'USAGE', 'did you mean --config?');
    assertNothingWritten();
  });

  it('names schema mistakes in one line each (no oneOf noise)', async () => {
    const { file, r } = await matrixWith({ kernels: '  - { id: "6.1", source: { provider: debain, package: linux-source-6.1 } }' });
    assertUserError(r, 'CONFIG_INVALID', `${file}: /kernels/0/source/provider: must be one of: debian, tarball, git, local; got "debain"`);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes(file)).length, 2, r.stderr); // the headline and the one problem
    assertNothingWritten();
  });
});
