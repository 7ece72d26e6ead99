// Runs as `kvmatrix validate` records them, built through the real
// comparison (compare + overallVerdict) from cell results shaped like the
// pipeline's: the seed's v1 repaired then not building on 6.1, its fixup not
// applying; the 6.1 backport fixing the four shmem cases; and 6.12, which
// already has the change. For the reply and matrix.md tests.
import { compare, overallVerdict } from '../../../src/compare/verdict.ts';
import type { CaseResult, CellResult, CellState, PatchRecord, RunSummary } from '../../../src/results/types.ts';
import type { Expectation } from '../../../src/plan/config.ts';

const SHMEM = ['shmem_memfd_unregister_softdirty', 'shmem_memfd_unprotect_softdirty', 'shmem_anon_unregister_softdirty', 'shmem_anon_unprotect_softdirty'];
const CONTROLS = ['softdirty_sanity_write_sets_bit', 'softdirty_sanity_clear_without_write', 'anon_private_unregister_softdirty', 'anon_private_unprotect_softdirty',
  'thp_private_unprotect_softdirty', 'uffd_wp_fault_delivered_shmem', 'uffd_wp_fault_delivered_anon', 'anon_private_faults_after_unprotect'];
// Real kselftest case names: long, with spaces.
const KSFT = ['Test test_simple', 'Test test_vma_reuse dirty bit of allocated page', 'Test test_vma_reuse dirty bit of reused address page',
  'Test test_hugepage huge page allocation', 'Test test_hugepage huge page dirty bit', 'Test test_mprotect-anon soft-dirty clear after marking RO',
  'Test test_mprotect-anon soft-dirty clear after marking RW', 'Test test_mprotect-anon soft-dirty after rewritten',
  'Test test_mprotect-file soft-dirty clear after marking RO', 'Test test_mprotect-file soft-dirty after rewritten'];

function cases(fixedByPatch: boolean): { suite: string; cases: CaseResult[] }[] {
  const c = (id: string, outcome: CaseResult['outcome']): CaseResult => ({ id, outcome, metrics: {}, diagnostics: outcome === 'fail' ? [`${id.split('/').pop()}: page written after UFFDIO_UNREGISTER is not soft-dirty`] : [] });
  return [
    { suite: 'softdirty-uffdwp', cases: [...SHMEM.map((n) => c(`softdirty-uffdwp/${n}`, fixedByPatch ? 'pass' : 'fail')), ...CONTROLS.map((n) => c(`softdirty-uffdwp/${n}`, 'pass')), c('softdirty-uffdwp/exit', 'pass')] },
    { suite: 'kselftest-mm/soft-dirty', cases: [...KSFT.map((n) => c(`kselftest-mm/soft-dirty/${n}`, 'pass')), c('kselftest-mm/soft-dirty/exit', 'pass')] },
  ];
}

interface Spec { kernel?: string; variant: string; state?: CellState; fixed?: boolean; patch?: PatchRecord; error?: string; code?: string }

export function cell(s: Spec): CellResult {
  const kernel = s.kernel ?? '6.1';
  const state = s.state ?? 'ok';
  const ran = state === 'ok';
  const suites = ran ? cases(s.fixed ?? false) : [];
  return {
    schema: 2, id: `${kernel}/x86_64/${s.variant}`,
    kernel: { id: kernel, identity: `debian:bookworm:linux-source-${kernel}`, version: kernel === '6.12' ? '6.12.117' : '6.1.176', release: null }, arch: 'x86_64',
    variant: { name: s.variant, patches: [] }, repeat: 1, accel: 'tcg', accelReason: null, qemuVersion: '7.2.15', state,
    error: s.error ? { kind: 'user', code: s.code ?? 'X', stage: 'build', message: s.error } : null,
    ...(s.patch ? { patch: s.patch } : {}),
    stages: [], build: null, boot: ran ? { toSshdMs: 2000, toSshMs: 2500 } : null,
    suites: suites.map((x) => ({ suite: x.suite, exitCode: 0, timedOut: false, disconnected: false, durationMs: 1, outputLog: 'x.out', ktap: null, cases: x.cases })),
    programs: ran ? suites.map((x) => ({ label: x.suite, status: 'ready' as const })) : null,
    console: { log: ran ? 'console.log' : null, findings: [] },
    startedAt: '', finishedAt: '', durationMs: 1000,
  };
}

export function summaryOf(cells: CellResult[], expectations: Expectation[] = []): RunSummary {
  const plan = cells.map((c) => ({ id: c.id, kernel: c.kernel.id, arch: c.arch, variant: c.variant.name, repeat: 1 }));
  const variants = [...new Set(cells.map((c) => c.variant.name))];
  const matrix = compare({ plan, cells, expectations, variants });
  return {
    schema: 2, harnessVersion: '0.1.0', runId: '20261201-180000-validate-x', config: { file: '/r/config.yaml', name: 'validate-x', sha256: 'x' },
    host: { arch: 'x86_64', cpus: 2, memoryGb: 24, qemu: { x86_64: '7.2.15' } }, startedAt: '', finishedAt: '', complete: true, shard: null, filter: {},
    plan, cells, matrix, overall: overallVerdict(matrix, plan, cells),
  };
}

const REPAIRED: PatchRecord['messages'][number] = {
  file: 'patches/v1/0001-mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range.patch', index: 1,
  subject: 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()', state: 'applied-after-repair',
  notes: ['repaired mm/userfaultfd.c hunk 1: found at lines 736-751 with whitespace normalised; 2 blank context line(s) restored, 13 added line(s) re-indented'],
  repaired: 'patch-repaired-1.diff',
};

const BUILD_ERRORS = [
  "make bzImage failed (exit 2): 2 compiler error(s), first mm/userfaultfd.c:753: implicit declaration of function 'vma_wants_manual_pte_write_upgrade' [-Werror=implicit-function-declaration]",
  "  mm/userfaultfd.c:753:13: error: implicit declaration of function 'vma_wants_manual_pte_write_upgrade' [-Werror=implicit-function-declaration]",
  "  mm/userfaultfd.c:757:62: error: 'vma' undeclared (first use in this function); did you mean 'dst_vma'?",
].join('\n');

const BASE_FACTS: Expectation[] = [{ cases: ['softdirty-uffdwp/shmem_*_softdirty'], variants: ['base'], expect: 'fail', note: 'the bug' }];

/** The seed on 6.1 x86_64: base reproduces the bug; v1 applies after repair and does not build; v1 + fixup does not apply. */
export function seedRun(): RunSummary {
  return summaryOf([
    cell({ variant: 'base' }),
    cell({ variant: 'v1', state: 'build-failed', code: 'BUILD_FAILED', error: BUILD_ERRORS, patch: { state: 'applied-after-repair', messages: [REPAIRED], evidence: ['patch-report.txt', 'patch-repaired-1.diff'] } }),
    cell({
      variant: 'v1-fixup', state: 'patch-failed', code: 'PATCH_DOES_NOT_APPLY', error: '0002-fixup.patch does not apply to debian:bookworm:linux-source-6.1: mm/userfaultfd.c hunk 1 ...',
      patch: {
        state: 'does-not-apply', evidence: ['patch-report.txt', 'patch-repaired-1.diff'], messages: [REPAIRED, {
          file: 'patches/v1-fixup/0002-fixup-mm-userfaultfd-enable-writenotify.patch', index: 1, subject: 'fixup: mm/userfaultfd: enable writenotify while userfaultfd-wp is enabled for a VMA', state: 'does-not-apply',
          notes: ['mm/userfaultfd.c hunk 1 (@@ -741,7 +741,7 @@): not found even with whitespace and blank lines normalised: closest match at line 749 (6 of 7 lines; at line 756 the hunk expects "change_protection(&tlb, dst_vma, start, start + len, mm_cp_flags);", the file has "change_protection(&tlb, dst_vma, start, start + len, vma->vm_page_prot,")', 'git apply: corrupt patch at line 15'],
        }],
      },
    }),
  ], BASE_FACTS);
}

/** The 6.1 backport as a format-patch: the four shmem cases fixed, nothing else changed. */
export function backportRun(): RunSummary {
  return summaryOf([
    cell({ variant: 'base' }),
    cell({ variant: 'patch', fixed: true, patch: { state: 'applied', evidence: ['patch-report.txt'], messages: [{ file: 'patches/patch/0001-x.patch', index: 1, subject: 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()', state: 'applied', notes: [] }] } }),
  ], BASE_FACTS);
}

/** v1 on 6.12, which already has the change (in a later form). */
export function presentRun(): RunSummary {
  return summaryOf([
    cell({ kernel: '6.12', variant: 'base', fixed: true }),
    cell({
      kernel: '6.12', variant: 'v1', state: 'already-present', code: 'PATCH_ALREADY_PRESENT', error: '0001.patch: already in 6.12: already present in a later form: ...',
      patch: { state: 'already-present', evidence: ['patch-report.txt'], messages: [{ ...REPAIRED, state: 'already-present', repaired: undefined, notes: ['already present in a later form: mm/userfaultfd.c:907: 8 of 11 added lines there, none of the removed ones left; reworked since: "if (vma_wants_manual_pte_write_upgrade(dst_vma))"'] }] },
    }),
  ]);
}
