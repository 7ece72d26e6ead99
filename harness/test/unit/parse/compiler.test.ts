import assert from 'node:assert/strict';
import { compilerErrors, formatCompilerError, treeRelative } from '../../../src/parse/compiler.ts';
import { buildFailureMessage } from '../../../src/kbuild/kbuild.ts';

// What gcc 12 prints for the seed's v1 on 6.1 (uses `vma` where the parameter is `dst_vma`,
// and a function 6.1 does not have), in an out-of-tree kernel build.
const LOG = `  CC      mm/userfaultfd.o
/cache/work/ab12-x86_64/src/mm/userfaultfd.c: In function 'uffd_wp_range':
/cache/work/ab12-x86_64/src/mm/userfaultfd.c:753:13: error: implicit declaration of function 'vma_wants_manual_pte_write_upgrade' [-Werror=implicit-function-declaration]
  753 |         if (vma_wants_manual_pte_write_upgrade(dst_vma))
      |             ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
/cache/work/ab12-x86_64/src/mm/userfaultfd.c:757:62: error: 'vma' undeclared (first use in this function); did you mean 'dst_vma'?
  757 |         change_protection(&tlb, dst_vma, start, start + len, vma->vm_page_prot,
/cache/work/ab12-x86_64/src/mm/userfaultfd.c:757:62: note: each undeclared identifier is reported only once for each function it appears in
/cache/work/ab12-x86_64/src/mm/userfaultfd.c:757:62: error: 'vma' undeclared (first use in this function); did you mean 'dst_vma'?
cc1: some warnings being treated as errors
make[3]: *** [../src/scripts/Makefile.build:250: mm/userfaultfd.o] Error 1
ld: kernel/foo.o: in function \`bar': foo.c:(.text+0x1): undefined reference to \`baz'
`;

describe('parse/compiler: the compiler\'s errors in a build log', () => {
  it('finds each distinct error with file:line:column, tree-relative, in log order', () => {
    const errors = compilerErrors(LOG);
    assert.deepEqual(errors.map(formatCompilerError), [
      "mm/userfaultfd.c:753:13: error: implicit declaration of function 'vma_wants_manual_pte_write_upgrade' [-Werror=implicit-function-declaration]",
      "mm/userfaultfd.c:757:62: error: 'vma' undeclared (first use in this function); did you mean 'dst_vma'?",
      "kernel/foo.o: error: undefined reference to `baz'",
    ]);
    assert.equal(errors[0]?.logLine, 3);
  });

  it('makes tree paths relative and leaves others alone', () => {
    assert.equal(treeRelative('/w/src/mm/userfaultfd.c'), 'mm/userfaultfd.c');
    assert.equal(treeRelative('../src/arch/x86/mm/fault.c'), 'arch/x86/mm/fault.c');
    assert.equal(treeRelative('mm/x.c'), 'mm/x.c');
  });

  it('says "does not build" with the errors, not just "make failed"', () => {
    const m = buildFailureMessage('make bzImage', { exitCode: 2, signal: null }, LOG).split('\n');
    assert.equal(m[0], "make bzImage failed (exit 2): 3 compiler error(s), first mm/userfaultfd.c:753: implicit declaration of function 'vma_wants_manual_pte_write_upgrade' [-Werror=implicit-function-declaration]");
    assert.equal(m.length, 4);
    assert.equal(buildFailureMessage('make bzImage', { exitCode: 2, signal: null }, 'make: *** nothing\n'), 'make bzImage failed (exit 2): make: *** nothing');
    assert.equal(buildFailureMessage('make bzImage', { exitCode: 2, signal: null }, '  CC init/main.o\n'), 'make bzImage failed (exit 2)');
  });
});
