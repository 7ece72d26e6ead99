// The README's verdict rules, one row each, written by hand from the rules
// (not regenerated from the code). Each row builds the cell results a real
// run would record and checks the matrix verdict and the run's exit code.
import assert from 'node:assert/strict';
import { compare, overallVerdict, CONSOLE_ROW } from '../../../src/compare/verdict.ts';
import type { CaseOutcome, CellResult, CellState, PlannedCell, ProgramStatus } from '../../../src/results/types.ts';
import type { ConsoleFinding } from '../../../src/parse/console.ts';
import type { Expectation } from '../../../src/plan/config.ts';

interface CellSpec {
  kernel?: string;
  arch?: string;
  variant: string;
  repeat?: number;
  state?: CellState;
  /** case name -> outcome, all under program "p" unless written "prog:case". */
  cases?: Record<string, CaseOutcome>;
  /** Planned programs; default: the programs the cases name. */
  programs?: ProgramStatus[] | null;
  findings?: Pick<ConsoleFinding, 'kind' | 'text'>[];
  code?: string;
}

function cell(s: CellSpec): CellResult {
  const kernel = s.kernel ?? '6.1';
  const arch = s.arch ?? 'x86_64';
  const state = s.state ?? 'ok';
  const byProgram = new Map<string, { id: string; outcome: CaseOutcome }[]>();
  for (const [key, outcome] of Object.entries(s.cases ?? {})) {
    const [prog, name] = key.includes(':') ? key.split(':') as [string, string] : ['p', key];
    const list = byProgram.get(prog) ?? [];
    list.push({ id: name === '' ? prog : `${prog}/${name}`, outcome });
    byProgram.set(prog, list);
  }
  const notBuilt = state === 'patch-failed' || state === 'build-failed' || state === 'already-present';
  return {
    schema: 2, id: `${kernel}/${arch}/${s.variant}${(s.repeat ?? 1) > 1 ? `#${s.repeat}` : ''}`,
    kernel: { id: kernel, identity: null, version: kernel === '6.12' ? '6.12.117' : '6.1.192', release: null }, arch,
    variant: { name: s.variant, patches: [] }, repeat: s.repeat ?? 1, accel: 'tcg', accelReason: null, qemuVersion: null, state,
    error: state === 'ok' ? null : { kind: state === 'infra-error' ? 'infra' : 'user', code: s.code ?? state.toUpperCase(), message: `${state} happened` },
    stages: [], build: null, boot: null,
    suites: [...byProgram].map(([prog, cases]) => ({
      suite: prog, exitCode: 0, timedOut: false, disconnected: false, durationMs: 1, outputLog: `${prog}.out`, ktap: null,
      cases: cases.map((c) => ({ ...c, metrics: {}, diagnostics: [], ...(c.outcome === 'skip' ? { reason: 'feature missing' } : {}) })),
    })),
    programs: s.programs !== undefined ? s.programs : notBuilt ? null : [...byProgram.keys()].map((label) => ({ label, status: 'ready' as const })),
    console: { log: notBuilt ? null : 'console.log', findings: (s.findings ?? []).map((f, i) => ({ ...f, line: i + 1, excerpt: [] })) },
    startedAt: '', finishedAt: '', durationMs: 0,
  };
}

function planOf(cells: CellSpec[]): PlannedCell[] {
  return cells.map((s) => {
    const c = cell(s);
    return { id: c.id, kernel: c.kernel.id, arch: c.arch, variant: c.variant.name, repeat: c.repeat };
  });
}

interface Rule {
  rule: string;
  planned: CellSpec[];
  /** Results present; default: every planned cell. */
  results?: CellSpec[];
  expectations?: Expectation[];
  /** caseId -> verdict on 6.1/x86_64 (or "col|caseId"). */
  verdicts: Record<string, string>;
  exit: number;
  /** Substrings of the overall line or a blocker. */
  says?: string[];
}

const FIXED = { base: { variant: 'base', cases: { bug: 'fail' as const } }, patched: { variant: 'patched', cases: { bug: 'pass' as const } } };

const RULES: Rule[] = [
  {
    rule: 'a fix and nothing else: VALIDATED, exit 0',
    planned: [FIXED.base, FIXED.patched],
    verdicts: { 'p/bug': 'fixed', [CONSOLE_ROW]: 'pass' },
    exit: 0, says: ['VALIDATED: 1 case(s) fixed'],
  },
  {
    rule: 'every planned cell has a result, or the run is INCOMPLETE (69)',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', cases: { bug: 'pass' } }],
    results: [FIXED.base, FIXED.patched],
    verdicts: { 'p/bug': 'fixed' },
    exit: 69, says: ['INCOMPLETE: 2 of 3 planned', '6.12/x86_64/base: no result'],
  },
  {
    rule: 'a planned variant with no result leaves its cases missing, never judged',
    planned: [FIXED.base, FIXED.patched],
    results: [FIXED.base],
    verdicts: { 'p/bug': 'missing' },
    exit: 69,
  },
  {
    rule: 'a planned program that produced no cases is a result: missing',
    planned: [
      { variant: 'base', cases: { bug: 'fail' }, programs: [{ label: 'p', status: 'ready' }, { label: 'quiet', status: 'ready' }] },
      { variant: 'patched', cases: { bug: 'pass' }, programs: [{ label: 'p', status: 'ready' }, { label: 'quiet', status: 'ready' }] },
    ],
    verdicts: { 'p/bug': 'fixed', 'quiet/exit': 'missing' },
    exit: 69,
  },
  {
    rule: 'a program whose suite failed to build for a host reason is infra-error, the other suites still count',
    planned: [
      { variant: 'base', cases: { bug: 'fail' }, programs: [{ label: 'p', status: 'ready' }, { label: 'k/prog', status: 'not-built', error: { kind: 'infra', code: 'KSELFTEST_HEADERS_FAILED', message: 'rsync: not found' } }] },
      { variant: 'patched', cases: { bug: 'pass' }, programs: [{ label: 'p', status: 'ready' }, { label: 'k/prog', status: 'not-built', error: { kind: 'infra', code: 'KSELFTEST_HEADERS_FAILED', message: 'rsync: not found' } }] },
    ],
    verdicts: { 'p/bug': 'fixed', 'k/prog/exit': 'infra-error' },
    exit: 69,
  },
  {
    rule: 'a program the catalog says does not apply is a skip with its reason, not a blocker',
    planned: [
      { variant: 'base', cases: { bug: 'fail', 'k/soft-dirty:': 'skip' } },
      { variant: 'patched', cases: { bug: 'pass', 'k/soft-dirty:': 'skip' } },
    ],
    verdicts: { 'p/bug': 'fixed', 'k/soft-dirty': 'skip' },
    exit: 0,
  },
  {
    rule: 'a case the variant reports that base does not (other arch program) stays empty where nobody ran it',
    planned: [
      FIXED.base, FIXED.patched,
      { arch: 'arm64', variant: 'base', cases: { bug: 'skip' } },
      { arch: 'arm64', variant: 'patched', cases: { bug: 'skip' } },
    ],
    verdicts: { 'p/bug': 'fixed', '6.1/arm64|p/bug': 'skip' },
    exit: 0,
  },
  {
    rule: 'repeated case names are distinct cases (" [2]"), so pass->fail on the second is a regression, not flakiness',
    planned: [
      { variant: 'base', cases: { bug: 'fail', dup: 'pass', 'dup [2]': 'pass' } },
      { variant: 'patched', cases: { bug: 'pass', dup: 'pass', 'dup [2]': 'fail' } },
    ],
    verdicts: { 'p/dup': 'pass', 'p/dup [2]': 'regressed' },
    exit: 1,
  },
  {
    rule: 'only --repeat makes repeats: repeats that disagree are flaky and block',
    planned: [FIXED.base, FIXED.patched, { variant: 'patched', repeat: 2, cases: { bug: 'fail' } }],
    verdicts: { 'p/bug': 'flaky' },
    exit: 1, says: ['flaky'],
  },
  {
    rule: 'a patched kernel that panics at boot regressed every case base passed',
    planned: [{ variant: 'base', cases: { bug: 'fail', other: 'pass' } }, { variant: 'patched', state: 'boot-failed', code: 'BOOT_PANIC', programs: [{ label: 'p', status: 'ready' }] }],
    verdicts: { 'p/other': 'regressed', 'p/bug': 'still-failing' },
    exit: 1, says: ['NOT VALIDATED: 2 regression(s)', 'patched on 6.1/x86_64: boot-failed'],
  },
  {
    rule: 'a kernel that crashes mid-suite: reached cases count, the rest are crashed (regressed where base passed)',
    planned: [
      { variant: 'base', cases: { bug: 'fail', first: 'pass', later: 'pass' } },
      { variant: 'patched', state: 'crashed', code: 'KERNEL_PANIC', cases: { bug: 'pass', first: 'pass' } },
    ],
    verdicts: { 'p/bug': 'fixed', 'p/first': 'pass', 'p/later': 'regressed' },
    exit: 1,
  },
  {
    rule: 'a suite that hangs (timeout) on the variant is the variant failing',
    planned: [
      { variant: 'base', cases: { bug: 'fail', later: 'pass' } },
      { variant: 'patched', state: 'timeout', code: 'SUITE_TIMEOUT', cases: { bug: 'pass', later: 'error' } },
    ],
    verdicts: { 'p/later': 'regressed' },
    exit: 1,
  },
  {
    rule: 'a base kernel that crashed gives no evidence of "before": crashed, never fixed',
    planned: [{ variant: 'base', state: 'crashed', code: 'KERNEL_PANIC', cases: {}, programs: [{ label: 'p', status: 'ready' }] }, { variant: 'patched', cases: { bug: 'pass' } }],
    verdicts: { 'p/bug': 'crashed' },
    exit: 1,
  },
  {
    rule: 'a base-only control column that panics before its first result fails its expectations',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', state: 'boot-failed', code: 'BOOT_PANIC', cases: {}, programs: [{ label: 'p', status: 'ready' }] }],
    results: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', state: 'boot-failed', code: 'BOOT_PANIC', cases: {}, programs: [{ label: 'p', status: 'ready' }] }],
    expectations: [{ cases: ['p/*'], kernels: ['6.12'], expect: 'pass' }],
    verdicts: { 'p/bug': 'fixed', '6.12/x86_64|p/bug': 'crashed' },
    exit: 1, says: ['unexpected outcome', 'expected pass, got crashed'],
  },
  {
    rule: 'infrastructure failure (qemu died without a panic, SSH lost) is infra-error, exit 69, never a pass',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', cases: { bug: 'pass' } }],
    results: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', state: 'infra-error', code: 'SSH_LOST', cases: {}, programs: [{ label: 'p', status: 'ready' }] }],
    verdicts: { '6.12/x86_64|p/bug': 'infra-error' },
    exit: 69, says: ['INCOMPLETE', 'SSH_LOST'],
  },
  {
    rule: 'pass -> skip on a variant is lost coverage and blocks',
    planned: [{ variant: 'base', cases: { bug: 'fail', cov: 'pass' } }, { variant: 'patched', cases: { bug: 'pass', cov: 'skip' } }],
    verdicts: { 'p/cov': 'lost' },
    exit: 1, says: ['1 lost: p/cov on 6.1/x86_64'],
  },
  {
    rule: 'fail -> skip on a variant is lost too',
    planned: [{ variant: 'base', cases: { bug: 'fail', cov: 'fail' } }, { variant: 'patched', cases: { bug: 'pass', cov: 'skip' } }],
    verdicts: { 'p/cov': 'lost' },
    exit: 1,
  },
  {
    rule: 'a skip the expectations ask for does not block',
    planned: [{ variant: 'base', cases: { bug: 'fail', cov: 'pass' } }, { variant: 'patched', cases: { bug: 'pass', cov: 'skip' } }],
    expectations: [{ cases: ['p/cov'], variants: ['patched'], expect: 'skip' }],
    verdicts: { 'p/cov': 'lost' },
    exit: 0,
  },
  {
    rule: 'a case base reported and the variant no longer reports (program ran to its end) is lost',
    planned: [{ variant: 'base', cases: { bug: 'fail', gone: 'pass' } }, { variant: 'patched', cases: { bug: 'pass' } }],
    verdicts: { 'p/gone': 'lost' },
    exit: 1,
  },
  {
    rule: 'a new console finding on the variant is a regression of that column',
    planned: [FIXED.base, { ...FIXED.patched, findings: [{ kind: 'warning', text: 'WARNING: CPU: 0 PID: 42 at mm/userfaultfd.c:123 uffd_wp_range+0x45/0x80' }] }],
    verdicts: { 'p/bug': 'fixed', [CONSOLE_ROW]: 'regressed' },
    exit: 1,
  },
  {
    rule: 'the same finding on base and variant (other CPU, PID, offsets) is still-failing, not new, and blocks unless expected',
    planned: [
      { ...FIXED.base, findings: [{ kind: 'warning', text: 'WARNING: CPU: 0 PID: 42 at mm/x.c:9 f+0x1/0x2' }] },
      { ...FIXED.patched, findings: [{ kind: 'warning', text: 'WARNING: CPU: 1 PID: 77 at mm/x.c:9 f+0x5/0x2' }] },
    ],
    verdicts: { [CONSOLE_ROW]: 'still-failing' },
    exit: 1,
  },
  {
    rule: 'a finding only base shows is noted, not counted as a fix',
    planned: [{ ...FIXED.base, findings: [{ kind: 'bug', text: 'BUG: sleeping function called from invalid context at mm/x.c:1' }] }, FIXED.patched],
    verdicts: { [CONSOLE_ROW]: 'pass', 'p/bug': 'fixed' },
    exit: 0,
  },
  {
    rule: 'a KTAP program that exits non-zero after all-ok fails its exit case (synthetic <program>/exit)',
    planned: [{ variant: 'base', cases: { bug: 'fail', exit: 'pass' } }, { variant: 'patched', cases: { bug: 'pass', exit: 'fail' } }],
    verdicts: { 'p/bug': 'fixed', 'p/exit': 'regressed' },
    exit: 1,
  },
  {
    rule: 'a cell-state expectation is met: the as-posted email that does not apply does not block',
    planned: [FIXED.base, FIXED.patched, { variant: 'v1', state: 'patch-failed' }],
    expectations: [{ variants: ['v1'], expect: 'patch-failed', note: 'as archived it lost its indentation' }],
    verdicts: { 'p/bug': 'fixed' },
    exit: 0,
  },
  {
    rule: 'an unmet cell-state expectation is unexpected: exit 1',
    planned: [FIXED.base, FIXED.patched, { variant: 'v1', cases: { bug: 'pass' } }],
    expectations: [{ variants: ['v1'], expect: 'patch-failed' }],
    verdicts: { 'p/bug': 'fixed' },
    exit: 1, says: ['expected the cell to end patch-failed, got ok'],
  },
  {
    rule: 'a patched variant that does not build on one arch blocks validation',
    planned: [FIXED.base, FIXED.patched, { arch: 'arm64', variant: 'base', cases: { bug: 'skip' } }, { arch: 'arm64', variant: 'patched', state: 'build-failed' }],
    verdicts: { 'p/bug': 'fixed' },
    exit: 1, says: ['patched on 6.1/arm64: build-failed'],
  },
  {
    rule: 'a variant already present in a kernel is not built: base answers for that column, nothing is fixed by accident, it does not block',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', cases: { bug: 'pass' } }, { kernel: '6.12', variant: 'patched', state: 'already-present', code: 'PATCH_ALREADY_PRESENT' }],
    verdicts: { 'p/bug': 'fixed', '6.12/x86_64|p/bug': 'pass' },
    exit: 0, says: ['VALIDATED: 1 case(s) fixed'],
  },
  {
    rule: 'already present, and the case fails on that base: the failure is base\'s own (fail), and it blocks',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.12', variant: 'base', cases: { bug: 'fail' } }, { kernel: '6.12', variant: 'patched', state: 'already-present', code: 'PATCH_ALREADY_PRESENT' }],
    verdicts: { 'p/bug': 'fixed', '6.12/x86_64|p/bug': 'fail' },
    exit: 1, says: ['1 fail: p/bug on 6.12/x86_64'],
  },
  {
    rule: 'already present in every kernel: nothing to test, exit 1, and the line says why',
    planned: [{ variant: 'base', cases: { bug: 'pass' } }, { variant: 'patched', state: 'already-present', code: 'PATCH_ALREADY_PRESENT' }],
    verdicts: { 'p/bug': 'pass' },
    exit: 1, says: ['nothing to test: the change is already in 6.1/x86_64'],
  },
  {
    rule: 'still-failing blocks unless the expectations say both fail',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.2', variant: 'base', cases: { bug: 'fail' } }, { kernel: '6.2', variant: 'patched', cases: { bug: 'fail' } }],
    verdicts: { '6.2/x86_64|p/bug': 'still-failing' },
    exit: 1, says: ['1 still-failing'],
  },
  {
    rule: 'still-failing that the expectations predict does not block',
    planned: [FIXED.base, FIXED.patched, { kernel: '6.2', variant: 'base', cases: { bug: 'fail' } }, { kernel: '6.2', variant: 'patched', cases: { bug: 'fail' } }],
    expectations: [{ cases: ['p/bug'], kernels: ['6.2'], expect: 'fail' }],
    verdicts: { '6.2/x86_64|p/bug': 'still-failing' },
    exit: 0,
  },
  {
    rule: 'an unmet case expectation is unexpected: exit 1',
    planned: [FIXED.base, FIXED.patched],
    expectations: [{ cases: ['p/bug'], variants: ['patched'], expect: 'fail' }],
    verdicts: { 'p/bug': 'fixed' },
    exit: 1, says: ['expected fail, got pass'],
  },
  {
    rule: 'nothing fixed: exit 1',
    planned: [{ variant: 'base', cases: { a: 'pass' } }, { variant: 'patched', cases: { a: 'pass' } }],
    verdicts: { 'p/a': 'pass' },
    exit: 1, says: ['no case went from failing to passing'],
  },
  {
    rule: 'a regression is an answer even when other results are missing: exit 1, not 69',
    planned: [{ variant: 'base', cases: { a: 'pass' } }, { variant: 'patched', cases: { a: 'fail' } }, { kernel: '6.12', variant: 'base', cases: { a: 'pass' } }],
    results: [{ variant: 'base', cases: { a: 'pass' } }, { variant: 'patched', cases: { a: 'fail' } }],
    verdicts: { 'p/a': 'regressed' },
    exit: 1, says: ['6.12/x86_64/base: no result'],
  },
];

describe('verdict rules (README "Verdict rules")', () => {
  for (const r of RULES) {
    it(r.rule, () => {
      const plan = planOf(r.planned);
      const cells = (r.results ?? r.planned).map(cell);
      const m = compare({ plan, cells, expectations: r.expectations ?? [], variants: ['base', 'patched', 'v1'] });
      for (const [key, want] of Object.entries(r.verdicts)) {
        const [col, caseId] = key.includes('|') ? key.split('|') as [string, string] : ['6.1/x86_64', key];
        const got = m.rows.find((row) => row.caseId === caseId)?.cells[col]?.verdict;
        assert.equal(got, want, `${caseId} on ${col}: ${JSON.stringify(m.rows.find((row) => row.caseId === caseId)?.cells[col])}`);
      }
      const o = overallVerdict(m, plan, cells);
      assert.equal(o.exitCode, r.exit, `${o.line}\n${o.blockers.join('\n')}`);
      for (const s of r.says ?? []) assert.ok(o.line.includes(s) || o.blockers.some((b) => b.includes(s)), `"${s}" not in: ${o.line} / ${o.blockers.join(' / ')}`);
      if (r.exit === 0) assert.deepEqual(o.blockers, []);
      else assert.ok(o.blockers.length > 0, 'a run that is not validated says why');
    });
  }
});

describe('expectations that match nothing', () => {
  it('are reported as warnings (a typo in an arch, variant or case pattern)', () => {
    const plan = planOf([FIXED.base, FIXED.patched]);
    const m = compare({
      plan, cells: [cell(FIXED.base), cell(FIXED.patched)], variants: ['base', 'patched'],
      expectations: [{ cases: ['p/bug'], arches: ['x86-64'], expect: 'fail' }, { cases: ['p/bgu'], expect: 'pass' }, { cases: ['p/*'], variants: ['pathced'], expect: 'pass' }, { cases: ['p/bug'], variants: ['base'], expect: 'fail' }],
    });
    assert.equal(m.warnings.length, 3, m.warnings.join('\n'));
    assert.match(m.warnings[0] ?? '', /expectation #1 .*arches x86-64.*matched nothing/);
    assert.match(m.warnings[1] ?? '', /expectation #2 \(cases p\/bgu/);
    assert.match(m.warnings[2] ?? '', /variants pathced/);
  });
});
