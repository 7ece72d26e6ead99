import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compile, compiledObjects, firstBuildError, makeArgs, verifyConfig } from '../../../src/kbuild/kbuild.ts';
import { getArch } from '../../../src/arch/profile.ts';
import { UserError } from '../../../src/errors.ts';
import type { Fragment } from '../../../src/kbuild/fragments.ts';

const frag = (name: string, text: string, optional = false): Fragment => ({ name, path: `/cfg/${name}`, text, optional });

describe('kbuild', () => {
  it('verifies every requested option after olddefconfig and lists the missing ones', () => {
    const final = 'CONFIG_USERFAULTFD=y\n# CONFIG_MEM_SOFT_DIRTY is not set\nCONFIG_SHMEM=y\n';
    assert.throws(() => verifyConfig([frag('x86_64.config', 'CONFIG_USERFAULTFD=y\nCONFIG_MEM_SOFT_DIRTY=y\nCONFIG_PTE_MARKER_UFFD_WP=y\n')], final, '/obj/.config'),
      (e: unknown) => e instanceof UserError && e.code === 'CONFIG_OPTIONS_MISSING'
        && /2 requested kernel option/.test(e.message)
        && /CONFIG_MEM_SOFT_DIRTY=y \(from x86_64\.config; final \.config has =n\)/.test(e.message)
        && /CONFIG_PTE_MARKER_UFFD_WP=y \(from x86_64\.config; final \.config has it unset\)/.test(e.message));
  });

  it('accepts a satisfied fragment, and only warns about optional ones', () => {
    const final = 'CONFIG_USERFAULTFD=y\n';
    assert.deepEqual(verifyConfig([frag('a', 'CONFIG_USERFAULTFD=y\n# CONFIG_IPV6 is not set\n')], final, 'x'), []);
    const warned = verifyConfig([frag('opt', 'CONFIG_PTE_MARKER_UFFD_WP=y\n', true)], final, 'x');
    assert.equal(warned[0]?.name, 'PTE_MARKER_UFFD_WP');
  });

  it('refuses fragment lines it cannot read instead of dropping them', () => {
    assert.throws(() => verifyConfig([frag('bad', 'CONFIG_USERFAULTFD=y\nUSERFAULTFD y\n')], 'CONFIG_USERFAULTFD=y\n', 'x'), /\/cfg\/bad:2:/);
  });

  it('builds make argv with O=, ARCH= and CROSS_COMPILE only when cross-building', () => {
    const args = makeArgs({ arch: getArch('arm64'), src: '/s', obj: '/o' }, 'olddefconfig');
    assert.deepEqual(args.slice(0, 3), ['-C', '/s', 'O=/o']);
    assert.ok(args.includes('ARCH=arm64'));
    assert.equal(args[args.length - 1], 'olddefconfig');
  });

  it('lists the objects a build compiled from kbuild quiet output', () => {
    assert.deepEqual(compiledObjects('  CC      mm/userfaultfd.o\n  AR      mm/built-in.a\n  CC      init/version.o\n  LD      vmlinux.o\n'), ['mm/userfaultfd.o', 'init/version.o']);
  });

  it('finds the compiler\'s first error in a failed build, not make\'s echo of it', () => {
    const stderr = [
      'In file included from /src/linux/include/linux/mm.h:5,',
      '/src/linux/mm/userfaultfd.c:721:9: error: implicit declaration of function \'foo\'',
      '/src/linux/mm/userfaultfd.c:730:2: error: second one',
      'make[3]: *** [scripts/Makefile.build:250: mm/userfaultfd.o] Error 1',
      'make[2]: *** [scripts/Makefile.build:500: mm] Error 2',
    ].join('\n');
    assert.equal(firstBuildError(stderr, ['/src/linux/']), 'mm/userfaultfd.c:721:9: error: implicit declaration of function \'foo\'');
    assert.equal(firstBuildError('ld: mm/x.o: in function `f\':\nx.c:(.text+0x1): undefined reference to `g\'\nmake[1]: *** [Makefile:1: vmlinux] Error 1\n'), 'x.c:(.text+0x1): undefined reference to `g\'');
    assert.equal(firstBuildError('arch/x86/entry/entry_64.S:12: Error: no such instruction: `foo\'\n'), 'arch/x86/entry/entry_64.S:12: Error: no such instruction: `foo\'');
    assert.equal(firstBuildError('make[1]: *** [Makefile:1] Error 1\nMakefile:20: *** Sorry, this kernel needs a newer compiler.  Stop.\n'), 'Makefile:20: *** Sorry, this kernel needs a newer compiler.  Stop.');
    assert.equal(firstBuildError('  CC init/main.o\n'), null);
    assert.equal(firstBuildError(`x.c:1:1: error: ${'y'.repeat(400)}`)?.length, 300);
  });

  it('fails a build the compiler refuses with a user error (a build-failed cell) that quotes the compiler', async () => {
    const src = fileURLToPath(new URL('./fixtures/gcc-error-tree', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'kvm-kbuild-'));
    try {
      await assert.rejects(compile({ arch: getArch('x86_64'), src, obj: join(dir, 'obj'), fragments: [], logPath: join(dir, 'build.log'), jobs: 1 }), (e: unknown) =>
        e instanceof UserError && e.code === 'BUILD_FAILED' && e.stage === 'build'
        && e.message.split('\n')[0] === 'make bzImage failed (exit 2): 1 compiler error(s), first mm/userfaultfd.c:721: implicit declaration of function \'vma_wants_manual_pte_write_upgrade\' [-Werror=implicit-function-declaration]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
