import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { localIncludeClosure, resolveSources, selftestsDir } from '../../../src/kselftest/resolve.ts';
import { buildKselftests, compilePlan, firstErrorLine, skipReasonForCompileFailure } from '../../../src/kselftest/build.ts';
import { getArch } from '../../../src/arch/profile.ts';
import type { KselftestProgram } from '../../../src/kselftest/types.ts';

const temps: string[] = [];
const track = (d: string) => (temps.push(d), d);
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));


/** A tiny kernel-like tree: only what the resolver and the include scanner look at. */
function fakeTree(files: Record<string, string>): string {
  const tree = track(mkdtempSync(join(tmpdir(), 'kvmatrix-kst-tree-')));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, rel)), { recursive: true });
    writeFileSync(join(tree, rel), text);
  }
  return tree;
}

const ST = 'tools/testing/selftests';
const SOFT_DIRTY: KselftestProgram = {
  name: 'soft-dirty', args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [],
  sources: [['mm/soft-dirty.c', 'mm/vm_util.c', 'mm/thp_settings.c'], ['mm/soft-dirty.c', 'mm/vm_util.c'], ['vm/soft-dirty.c', 'vm/vm_util.c']],
};

describe('kselftest sources', () => {
  it('picks the first candidate whose files all exist', () => {
    const v61 = fakeTree({ [`${ST}/vm/soft-dirty.c`]: '', [`${ST}/vm/vm_util.c`]: '' });
    assert.deepEqual(resolveSources(selftestsDir(v61), SOFT_DIRTY), { ok: true, sources: ['vm/soft-dirty.c', 'vm/vm_util.c'] });
    // mm/ without thp_settings.c (6.2 .. 6.6): the second list, not the vm/ one.
    const v63 = fakeTree({ [`${ST}/mm/soft-dirty.c`]: '', [`${ST}/mm/vm_util.c`]: '' });
    assert.deepEqual(resolveSources(selftestsDir(v63), SOFT_DIRTY), { ok: true, sources: ['mm/soft-dirty.c', 'mm/vm_util.c'] });
    const v612 = fakeTree({ [`${ST}/mm/soft-dirty.c`]: '', [`${ST}/mm/vm_util.c`]: '', [`${ST}/mm/thp_settings.c`]: '' });
    assert.deepEqual(resolveSources(selftestsDir(v612), SOFT_DIRTY), { ok: true, sources: ['mm/soft-dirty.c', 'mm/vm_util.c', 'mm/thp_settings.c'] });
  });

  it('says where it looked when the tree lacks the program, and what is missing when it half has it', () => {
    const tree = fakeTree({ [`${ST}/vm/userfaultfd.c`]: '' });
    const mkdirty = { sources: [['mm/mkdirty.c', 'mm/vm_util.c'], ['vm/mkdirty.c', 'vm/vm_util.c']] };
    assert.deepEqual(resolveSources(selftestsDir(tree), mkdirty), { ok: false, reason: 'not in this tree (looked for mm/mkdirty.c, vm/mkdirty.c)' });
    const half = fakeTree({ [`${ST}/vm/soft-dirty.c`]: '' });
    const r = resolveSources(selftestsDir(half), SOFT_DIRTY);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /looked for mm\/soft-dirty\.c, vm\/soft-dirty\.c\); vm\/soft-dirty\.c exists but vm\/vm_util\.c do\(es\) not/);
  });

  it('does not take a directory for a source file', () => {
    const tree = fakeTree({ [`${ST}/vm/soft-dirty.c/x`]: '', [`${ST}/vm/vm_util.c`]: '' });
    assert.equal(resolveSources(selftestsDir(tree), SOFT_DIRTY).ok, false);
  });

  it('follows local #include "..." transitively, like gcc: own directory first, then -I dirs', () => {
    const tree = fakeTree({
      [`${ST}/kselftest.h`]: '#include <stdio.h>\n',
      [`${ST}/mm/uffd-unit-tests.c`]: '#include "uffd-common.h"\n#include "../../../../mm/gup_test.h"\n #  include "local_config.h"\n',
      [`${ST}/mm/uffd-common.h`]: '#include "../kselftest.h"\n#include "vm_util.h"\n',
      [`${ST}/mm/vm_util.h`]: '#include "uffd-common.h" /* a cycle */\n',
      'mm/gup_test.h': '#include <linux/types.h>\n',
      'include/linux/foo.h': '',
      [`${ST}/mm/rooted.c`]: '#include "include/linux/foo.h"\n',
    });
    const st = selftestsDir(tree);
    assert.deepEqual(localIncludeClosure(tree, [join(st, 'mm/uffd-unit-tests.c')], [tree]), [
      'mm/gup_test.h',
      `${ST}/kselftest.h`, `${ST}/mm/uffd-common.h`, `${ST}/mm/uffd-unit-tests.c`, `${ST}/mm/vm_util.h`,
    ].sort(), 'local_config.h is generated (absent) and left out');
    assert.deepEqual(localIncludeClosure(tree, [join(st, 'mm/rooted.c')], [tree]), ['include/linux/foo.h', `${ST}/mm/rooted.c`]);
  });

  it('mirrors the program directory Makefile: TOOLS_INCLUDES and -U_FORTIFY_SOURCE only where it uses them', () => {
    const old = fakeTree({ [`${ST}/vm/Makefile`]: 'CFLAGS = -Wall -I $(top_srcdir) $(EXTRA_CFLAGS) $(KHDR_INCLUDES)\n' });
    const p: KselftestProgram = { name: 'x', sources: [], args: [], timeoutMs: 1000, setup: [], cflags: ['-DX'], ldlibs: ['-lrt'] };
    const plan = compilePlan(old, '/h', p, ['vm/x.c'], '/out/x');
    // Compiled from the program's directory with a relative source, as the Makefiles do (so __FILE__ is "x.c").
    // No -O2 either: the vm/ Makefile has none (5.10's userfaultfd signal test only works unoptimised).
    assert.deepEqual(plan.args, ['-static', '-pthread', '-Wall', '-I', old, '-isystem', '/h/usr/include', '-DX', '-o', '/out/x', 'x.c', '-lrt']);
    assert.equal(plan.cwd, join(old, ST, 'vm'));
    const nu = fakeTree({ [`${ST}/mm/Makefile`]: 'CFLAGS = -Wall -O2 -I $(top_srcdir) $(EXTRA_CFLAGS) $(KHDR_INCLUDES) $(TOOLS_INCLUDES)\nCFLAGS += -U_FORTIFY_SOURCE\n' });
    const b = compilePlan(nu, '/h', p, ['mm/x.c'], '/out/x').args;
    assert.ok(b.includes('-U_FORTIFY_SOURCE'));
    assert.deepEqual(b.slice(0, 4), ['-static', '-O2', '-pthread', '-Wall'], 'the mm/ Makefile optimises');
    assert.deepEqual(b.slice(b.indexOf('/h/usr/include') + 1, b.indexOf('/h/usr/include') + 3), ['-isystem', join(nu, 'tools/include/uapi')]);
    assert.ok(!b.includes(join(nu, ST)), 'no selftests include dir unless lib.mk adds it');
  });

  it('takes lib.mk\'s additions where it makes them: tools/testing/selftests on the include path (7.2: #include "kselftest.h"), _GNU_SOURCE', () => {
    const tree = fakeTree({
      [`${ST}/mm/Makefile`]: 'CFLAGS = -Wall -O2 -I $(top_srcdir) $(EXTRA_CFLAGS) $(KHDR_INCLUDES) $(TOOLS_INCLUDES)\ninclude ../lib.mk\n',
      [`${ST}/lib.mk`]: 'top_srcdir = $(selfdir)/../../..\n# Build with _GNU_SOURCE by default\nCFLAGS += -D_GNU_SOURCE=\n\nCFLAGS += -I${top_srcdir}/tools/testing/selftests\n',
    });
    const p: KselftestProgram = { name: 'x', sources: [], args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [] };
    const args = compilePlan(tree, '/h', p, ['mm/x.c'], '/out/x').args;
    assert.deepEqual(args.slice(args.indexOf('-I'), args.indexOf('-I') + 5), ['-I', tree, '-I', join(tree, ST), '-D_GNU_SOURCE=']);
  });

  it('turns compiler output into a one-line skip reason', () => {
    const tree = '/k/linux';
    const missingHeader = `${tree}/tools/testing/selftests/mm/cow.c:24:10: fatal error: local_config.h: No such file or directory\n   24 | #include "local_config.h"\ncompilation terminated.\n`;
    assert.equal(skipReasonForCompileFailure(missingHeader, tree, getArch('x86_64')),
      'compile failed: tools/testing/selftests/mm/cow.c:24:10: fatal error: local_config.h: No such file or directory (local_config.h is not in the tree: generated by the selftests Makefile or from a library we do not provide)');
    const warningsFirst = `x.c:1:2: warning: unused variable 'a' [-Wunused-variable]\n/usr/bin/ld: /tmp/cc.o: in function \`main':\nx.c:(.text+0x5): undefined reference to \`io_uring_queue_init'\ncollect2: error: ld returned 1 exit status\n`;
    assert.equal(firstErrorLine(warningsFirst, tree), "x.c:(.text+0x5): undefined reference to `io_uring_queue_init'");
    assert.match(skipReasonForCompileFailure('/usr/bin/ld: cannot find -lnuma: No such file or directory\ncollect2: error: ld returned 1 exit status\n', tree, getArch('arm64')),
      /^compile failed: \/usr\/bin\/ld: cannot find -lnuma: No such file or directory \(no static libnuma for arm64\)$/);
    assert.equal(firstErrorLine('', tree), '(no compiler output)');
    assert.equal(firstErrorLine(`${'y'.repeat(400)} error: long`, tree).length, 300);
  });

  it('skips what does not apply or is not in the tree without installing headers', async () => {
    const tree = fakeTree({ Makefile: 'VERSION = 6\nPATCHLEVEL = 1\n', [`${ST}/vm/userfaultfd.c`]: '' });
    const cache = track(mkdtempSync(join(tmpdir(), 'kvmatrix-kst-cache-')));
    const programs: KselftestProgram[] = [
      { ...SOFT_DIRTY, arches: ['x86_64'] },
      { name: 'mkdirty', sources: [['mm/mkdirty.c', 'mm/vm_util.c']], args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [] },
      { name: 'new-only', sources: [['vm/userfaultfd.c']], args: [], timeoutMs: 1000, setup: [], cflags: [], ldlibs: [], minVersion: '6.4' },
    ];
    const r = await buildKselftests(cache, { identity: 'fake:1', tree, kernelVersion: '6.1.0' }, getArch('arm64'), programs, join(cache, 'log'));
    assert.deepEqual(r.built, []);
    assert.deepEqual(r.skipped, [
      { name: 'soft-dirty', reason: 'not for arm64 (catalog arches: x86_64)' },
      { name: 'mkdirty', reason: 'not in this tree (looked for mm/mkdirty.c)' },
      { name: 'new-only', reason: 'not for kernel 6.1.0 (catalog range: >= 6.4)' },
    ]);
    assert.ok(!existsSync(join(cache, 'kselftest')), 'nothing to build: no make, no cache dir');
  });
});
