// Line shapes the console scanner must and must not flag, beyond the fixtures.
import assert from 'node:assert/strict';
import { detectBootMarkers, scanConsole, type ConsoleFindingKind } from '../../../src/parse/console.ts';

const kinds = (...lines: string[]): ConsoleFindingKind[] => scanConsole(lines.join('\n')).map((f) => f.kind);

describe('scanConsole', () => {
  it('finds nothing in empty output', () => {
    assert.deepEqual(scanConsole(''), []);
  });

  it('recognises each kind by the kernel line that opens it', () => {
    const cases: [string, ConsoleFindingKind][] = [
      ['[    5.1] BUG: kernel NULL pointer dereference, address: 0000000000000008', 'bug'],
      ['[    5.1] BUG: unable to handle page fault for address: ffffc90000a3f000', 'bug'],
      ['[    5.1] BUG: scheduling while atomic: swapper/0/0/0x00000002', 'bug'],
      ['[   48.1] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [uffd-wp-softdir:203]', 'bug'],
      ['[    5.1] kernel BUG at mm/userfaultfd.c:712!', 'bug'],
      ['[    5.1] BUG kmalloc-64 (Not tainted): Poison overwritten', 'bug'],
      ['[    5.1] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008', 'bug'],
      ['[    5.1] WARNING: CPU: 0 PID: 1 at mm/x.c:12 func+0x1a/0x30', 'warning'],
      ['[    5.1] WARNING: at mm/x.c:12 func()', 'warning'],
      ['[    5.1] Oops: 0000 [#1] PREEMPT SMP NOPTI', 'oops'],
      ['[    5.1] Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN NOPTI', 'oops'],
      ['[    5.1] general protection fault: 0000 [#1] SMP PTI', 'oops'],
      ['[    5.1] Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP', 'oops'],
      ['[    5.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100', 'panic'],
      ['[    5.1] BUG: KASAN: slab-use-after-free in uffd_wp_range+0x8a/0xb0', 'kasan'],
      ['[    5.1] KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]', 'kasan'],
      ['[    5.1] UBSAN: shift-out-of-bounds in mm/userfaultfd.c:40:12', 'ubsan'],
      ['[  245.1] INFO: task kworker/u2:1:55 blocked for more than 122 seconds.', 'hung_task'],
      ['[   88.1] rcu: INFO: rcu_preempt self-detected stall on CPU', 'rcu_stall'],
      ['[   88.1] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:', 'rcu_stall'],
      ['[   88.1] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 0-... } 21002 jiffies s: 37 root: 0x1/.', 'rcu_stall'],
      ['[   88.1] INFO: rcu_sched detected stalls on CPUs/tasks:', 'rcu_stall'],
      ['[   27.1] WARNING: possible circular locking dependency detected', 'lockdep'],
      ['[   27.1] WARNING: possible recursive locking detected', 'lockdep'],
      ['[   27.1] WARNING: inconsistent lock state', 'lockdep'],
      ['[   27.1] WARNING: suspicious RCU usage', 'lockdep'],
    ];
    for (const [line, kind] of cases) assert.deepEqual(kinds(line), [kind], line);
  });

  it('accepts the prefixes printk can add, and no prefix at all', () => {
    assert.deepEqual(kinds('<4>[    5.100000] WARNING: CPU: 0 PID: 1 at mm/x.c:12 f+0x1/0x2'), ['warning']);
    assert.deepEqual(kinds('[    5.100000][    T1] WARNING: CPU: 0 PID: 1 at mm/x.c:12 f+0x1/0x2'), ['warning']);
    assert.deepEqual(kinds('Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'), ['panic']);
  });

  it('ignores userspace and mid-line mentions', () => {
    assert.deepEqual(kinds(
      'WARNING: dropbear: host key permissions are group-readable',
      'WARNING: the soft-dirty bit was lost',
      '# WARNING: CPU: 0 PID: 1 at mm/x.c:12 f+0x1/0x2',
      '# BUG: kernel NULL pointer dereference',
      '[    0.2] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on',
      'test: saw "Kernel panic - not syncing" in an old log',
      '[    1.2] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100 ]---',
      '[    1.2] traps: a.out[123] general protection fault ip:401136 sp:7ffd0 error:0 in a.out[401000+1000]',
      'Oops, the test forgot to clean up',
      '  BUG: indented, so not the kernel',
    ), []);
  });

  it('takes up to 5 lines before and 20 after, without timestamps', () => {
    const before = Array.from({ length: 8 }, (_, i) => `[ 1.0] before ${i}`);
    const after = Array.from({ length: 30 }, (_, i) => `[ 1.0] after ${i}`);
    const [finding] = scanConsole([...before, '[ 1.0] BUG: scheduling while atomic: a/1/0x2', ...after].join('\n'));
    assert.ok(finding);
    assert.equal(finding.line, 9);
    assert.equal(finding.text, 'BUG: scheduling while atomic: a/1/0x2');
    assert.equal(finding.excerpt.length, 26);
    assert.equal(finding.excerpt[0], 'before 3');
    assert.equal(finding.excerpt[25], 'after 19');
  });

  it('starts at "cut here" and stops at "---[ end trace"', () => {
    const [finding] = scanConsole([
      'unrelated', '[ 2.0] ------------[ cut here ]------------', '[ 2.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x0/0x1',
      '[ 2.0] Modules linked in:', '[ 2.0] ---[ end trace 0000000000000000 ]---', 'after',
    ].join('\n'));
    assert.deepEqual(finding?.excerpt, [
      '------------[ cut here ]------------', 'WARNING: CPU: 0 PID: 1 at a.c:1 f+0x0/0x1',
      'Modules linked in:', '---[ end trace 0000000000000000 ]---',
    ]);
  });

  it('reports each trigger of a multi-part splat', () => {
    assert.deepEqual(kinds(
      '[ 5.0] BUG: kernel NULL pointer dereference, address: 0000000000000008',
      '[ 5.0] #PF: supervisor read access in kernel mode',
      '[ 5.0] Oops: 0000 [#1] PREEMPT SMP NOPTI',
      '[ 5.0] Kernel panic - not syncing: Fatal exception',
    ), ['bug', 'oops', 'panic']);
  });
});

describe('detectBootMarkers', () => {
  it('finds nothing in empty output', () => {
    assert.deepEqual(detectBootMarkers(''), { reachedInit: false, kernelVersionLine: null, panicLine: null });
  });

  it('accepts any init path and the initmem line as reaching init', () => {
    assert.equal(detectBootMarkers('[ 1.0] Run /sbin/init as init process').reachedInit, true);
    assert.equal(detectBootMarkers('[ 1.0] Freeing unused kernel image (initmem) memory: 1028K').reachedInit, true);
    assert.equal(detectBootMarkers('[ 1.0] Trying to run /init').reachedInit, false);
  });

  it('reports the first version banner and the first panic', () => {
    const m = detectBootMarkers([
      '[ 0.0] Linux version 6.1.0-kvmatrix (kvmatrix@builder) #1 SMP',
      '[ 0.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
      '[ 0.9] Kernel panic - not syncing: again',
    ].join('\n'));
    assert.deepEqual(m, { reachedInit: false, kernelVersionLine: 'Linux version 6.1.0-kvmatrix (kvmatrix@builder) #1 SMP', panicLine: 2 });
  });
});
