import assert from 'node:assert/strict';
import { compiledObjects, makeArgs, verifyConfig } from '../../../src/kbuild/kbuild.ts';
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
});
