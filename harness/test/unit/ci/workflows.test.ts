// The CI definitions: .github/workflows/*.yml validated with GitHub's own
// workflow parser, their structure (plan -> shards -> merge), the shell
// snippets they run, and the nightly matrix config they run by default.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../../../src/exec/run.ts';
import { loadMatrixConfig, planCells, type MatrixConfig } from '../../../src/plan/config.ts';
import { shardCells } from '../../../src/plan/shard.ts';
import { parseTarballUrl } from '../../../src/source/tarball.ts';
import { inRange } from '../../../src/util/version-range.ts';
import { configsDir, repoRoot } from '../../../src/util/paths.ts';
import {
  heredoc, kvmatrixCalls, loadWorkflow, needsOf, shellVars, stepEnv, workflowErrors, workflowFiles, workflowsDir,
  type Job, type Step, type Workflow,
} from './helpers.ts';
import { kvmatrix, makeRunDir, sandbox } from '../cli/helpers.ts';

const NIGHTLY = join(workflowsDir, 'nightly.yml');
const PR = join(workflowsDir, 'pr.yml');
const NIGHTLY_CONFIG = join(configsDir, 'matrix.nightly.yaml');

function job(wf: Workflow, id: string): Job {
  const j = wf.jobs[id];
  assert.ok(j, `job "${id}" exists`);
  return j;
}

function stepUsing(j: Job, action: string): Step {
  const s = j.steps.find((x) => x.uses?.split('@')[0] === action);
  assert.ok(s, `a step uses ${action}`);
  assert.match(s.uses ?? '', /@v\d+$/, `${action} is pinned to a major version`);
  return s;
}

function runSteps(j: Job): (Step & { run: string })[] {
  return j.steps.filter((s): s is Step & { run: string } => typeof s.run === 'string');
}

/** Runs unless the workflow was cancelled: always() or !cancelled(). */
function runsAfterFailure(cond: string | undefined): boolean {
  return /always\(\)|!\s*cancelled\(\)/.test(cond ?? '');
}

async function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ exitCode: number | null; out: string }> {
  const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, timeoutMs: 60_000 });
  return { exitCode: r.exitCode, out: r.stdout + r.stderr };
}

function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

describe('CI workflows', () => {
  it('include the nightly and the pull-request workflow (every workflow file gets the checks below)', () => {
    const files = workflowFiles();
    assert.ok(files.includes(NIGHTLY) && files.includes(PR), files.join(', '));
  });

  for (const file of workflowFiles()) {
    it(`${file.slice(repoRoot.length + 1)} has no errors according to @actions/workflow-parser`, async () => {
      assert.deepEqual(await workflowErrors(file), []);
    });
  }

  it('the validator does catch mistakes (so zero errors means something)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-wf-'));
    try {
      const bad = join(dir, 'bad.yml');
      // runner.* is not available in job-level env; a cron with minute 99; an unknown key.
      writeFileSync(bad, [
        'on:', '  schedule:', "    - cron: '99 2 * * *'",
        'jobs:', '  a:', '    runs-on: ubuntu-latest', '    env:', '      X: ${{ runner.temp }}/x',
        '    bogus: 1', '    steps:', '      - run: echo hi', '',
      ].join('\n'));
      const errors = (await workflowErrors(bad)).join('\n');
      assert.match(errors, /Unrecognized named-value: 'runner'/);
      assert.match(errors, /Unexpected value 'bogus'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of workflowFiles()) {
    const rel = file.slice(repoRoot.length + 1);

    it(`${rel}: every job has a timeout and read-only default permissions`, () => {
      const wf = loadWorkflow(file);
      assert.deepEqual(wf.permissions, { contents: 'read' });
      for (const [id, j] of Object.entries(wf.jobs)) assert.ok(typeof j['timeout-minutes'] === 'number', `${id} has timeout-minutes`);
    });

    it(`${rel}: every kvmatrix call uses argv-style flags whose values come only from the matrix, inputs or plan outputs`, () => {
      const wf = loadWorkflow(file);
      const flags: Record<string, Set<string>> = {
        matrix: new Set(['--config', '--shard', '--accel', '--out', '--kernel', '--arch', '--variant', '--jobs']),
        merge: new Set(['--out']),
        provision: new Set(['--config', '--for']),
        doctor: new Set(['--config']),
        '--help': new Set(),
      };
      // An env var may carry a value into a kvmatrix argument only if the
      // workflow sets it from one of these (or to a literal).
      const origin = /^\$\{\{\s*(matrix\.[\w-]+|inputs\.[\w-]+|needs\.plan\.outputs\.[\w-]+)\s*\}\}$/;
      let calls = 0;
      for (const [jobId, j] of Object.entries(wf.jobs)) {
        for (const s of runSteps(j)) {
          for (const call of kvmatrixCalls(s.run)) {
            calls++;
            const where = `${rel} job ${jobId}: ${call.line}`;
            assert.doesNotMatch(call.line, /\$\{\{/, `${where}: no \${{ }} inside the command (pass values through env)`);
            const [command, ...rest] = call.args;
            assert.ok(command && flags[command.text], `${where}: known command`);
            const allowed = flags[command.text] as Set<string>;
            const env = stepEnv(wf, j, s);
            for (let i = 0; i < rest.length; i++) {
              const w = rest[i] as { text: string; quoted: boolean };
              if (w.text.startsWith('-')) {
                assert.ok(!w.text.includes('='), `${where}: "${w.text}": --flag value, not --flag=value`);
                assert.ok(allowed.has(w.text), `${where}: ${w.text} is not a ${command.text} flag we expect in CI`);
                continue;
              }
              const vars = shellVars(w.text);
              if (vars.length > 0) assert.ok(w.quoted, `${where}: "${w.text}" must be double-quoted`);
              for (const v of vars) {
                const value = env[v];
                assert.ok(value !== undefined, `${where}: $${v} is not set in the workflow env`);
                assert.ok(origin.test(value) || !value.includes('${{'), `${where}: $${v}=${value} comes from neither matrix, inputs nor plan outputs`);
              }
            }
          }
        }
      }
      if (file === NIGHTLY || file === PR) assert.ok(calls > 0, `${rel} calls kvmatrix`);
    });

    it(`${rel}: runs in a Debian 12 container on ubuntu-latest with /dev/kvm and a cached KVMATRIX_CACHE_DIR`, () => {
      const wf = loadWorkflow(file);
      const heavy = Object.entries(wf.jobs).filter(([, j]) => j.steps.some((s) => /kvmatrix\.js (matrix|provision)\b|npm test/.test(s.run ?? '')));
      if (file === NIGHTLY || file === PR) assert.ok(heavy.length > 0, `${rel} has a job that builds and boots kernels`);
      for (const [id, j] of heavy) {
        assert.equal(j['runs-on'], 'ubuntu-latest', id);
        const c = j.container;
        assert.ok(c && typeof c === 'object', `${id} runs in a container`);
        assert.equal(c.image, 'debian:12');
        assert.match(c.options ?? '', /--device \/dev\/kvm\b/);
        const cacheDir = String(j.env?.KVMATRIX_CACHE_DIR ?? '');
        assert.match(cacheDir, /^\//, `${id} sets KVMATRIX_CACHE_DIR to an absolute container path`);
        const restore = stepUsing(j, 'actions/cache/restore');
        const save = stepUsing(j, 'actions/cache/save');
        assert.equal(String(restore.with?.path).split('\n')[0], cacheDir);
        assert.equal(save.with?.path, restore.with?.path, 'save and restore use the same paths (the cache version hashes them)');
        assert.equal(save.with?.key, '${{ steps.cache.outputs.cache-primary-key }}');
        assert.equal(restore.id, 'cache');
        const key = String(restore.with?.key);
        for (const dir of ['configs/kconfig/**', 'configs/patches/**', 'guest/**']) assert.ok(key.includes(`'${dir}'`), `${id} cache key hashes ${dir}`);
        assert.ok(String(restore.with?.['restore-keys']).trim().length > 0, `${id} has restore-keys`);
        assert.ok(runsAfterFailure(save.if), `${id} saves the cache after failed cells too`);
        assert.equal(stepUsing(j, 'actions/setup-node').with?.['node-version'], 20);
        // The bootstrap must come before checkout (git) and the cache (zstd).
        const names = j.steps.map((s) => s.uses?.split('@')[0] ?? s.run ?? '');
        assert.ok(names.findIndex((n) => /apt-get install .*git/.test(n)) < names.indexOf('actions/checkout'));
      }
    });
  }

  describe('nightly.yml', () => {
    const wf = loadWorkflow(NIGHTLY);

    it('runs on a schedule and on demand with shards (default 4) and config inputs', () => {
      const on = wf.on as { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, { type: string; default: unknown }> } };
      assert.equal(on.schedule.length, 1);
      assert.match(on.schedule[0]?.cron ?? '', /^\d+ \d+ \* \* \*$/, 'once a day');
      const inputs = on.workflow_dispatch.inputs;
      assert.deepEqual(Object.keys(inputs).sort(), ['config', 'shards']);
      assert.equal(inputs.shards?.default, 4);
      assert.equal(inputs.shards?.type, 'number');
      assert.equal(inputs.config?.default, 'configs/matrix.nightly.yaml');
      loadMatrixConfig(join(repoRoot, String(inputs.config?.default)));
    });

    it('plan -> shard (matrix from the plan output, fail-fast off) -> merge', () => {
      const plan = job(wf, 'plan');
      assert.deepEqual(Object.keys(plan.outputs ?? {}).sort(), ['config', 'count', 'shards']);
      const shard = job(wf, 'shard');
      assert.deepEqual(needsOf(shard), ['plan']);
      assert.equal(shard.strategy?.['fail-fast'], false);
      assert.equal(shard.strategy?.matrix?.shard, '${{ fromJSON(needs.plan.outputs.shards) }}');
      assert.equal(shard.env?.SHARD, '${{ matrix.shard }}');
      assert.equal(shard.env?.SHARD_COUNT, '${{ needs.plan.outputs.count }}');
      assert.equal(shard.env?.KVMATRIX_CONFIG, '${{ needs.plan.outputs.config }}');
      const merge = job(wf, 'merge');
      assert.deepEqual(needsOf(merge).sort(), ['plan', 'shard']);
      assert.match(merge.if ?? '', /always\(\)/);
    });

    it('each shard runs its slice, keeps going on exit 1/69 and uploads results/shard-N as artifact shard-N', () => {
      const shard = job(wf, 'shard');
      const matrixStep = runSteps(shard).find((s) => kvmatrixCalls(s.run).some((c) => c.args[0]?.text === 'matrix'));
      assert.ok(matrixStep, 'a step runs kvmatrix matrix');
      const call = kvmatrixCalls(matrixStep.run).find((c) => c.args[0]?.text === 'matrix');
      const args = call?.args.map((a) => a.text).join(' ');
      assert.equal(args, 'matrix --config $KVMATRIX_CONFIG --shard $SHARD/$SHARD_COUNT --accel auto --out results/shard-$SHARD');
      assert.ok(matrixStep.run.includes('set +e') || matrixStep['continue-on-error'] === true, 'a failing matrix does not end the job before the upload');
      assert.match(matrixStep.run, /echo "exit=\$code" >> "\$GITHUB_OUTPUT"/);
      const provision = kvmatrixCalls(runSteps(shard).map((s) => s.run).join('\n')).find((c) => c.args[0]?.text === 'provision');
      assert.ok(provision, 'the shard provisions its host tools');
      const upload = stepUsing(shard, 'actions/upload-artifact');
      assert.equal(upload.with?.name, 'shard-${{ matrix.shard }}');
      assert.equal(upload.with?.path, 'results/shard-${{ matrix.shard }}');
      assert.ok(runsAfterFailure(upload.if));
      const key = String(stepUsing(shard, 'actions/cache/restore').with?.key);
      assert.ok(key.includes('hashFiles(env.KVMATRIX_CONFIG)') && key.includes('${{ matrix.shard }}'), 'the cache key has the config hash and the shard');
    });

    it('the plan step turns the shard count into a JSON index list and rejects bad input', async () => {
      const script = runSteps(job(wf, 'plan')).find((s) => s.id === 'plan')?.run;
      assert.ok(script);
      const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-plan-'));
      try {
        const go = async (env: Record<string, string>) => {
          const out = join(dir, `out-${Math.random()}`);
          writeFileSync(out, '');
          const r = await bash(script, repoRoot, { SHARDS: '', CONFIG: '', ...env, GITHUB_OUTPUT: out });
          return { ...r, outputs: readOutputs(out) };
        };
        const scheduled = await go({});
        assert.equal(scheduled.exitCode, 0, scheduled.out);
        assert.deepEqual(scheduled.outputs, { count: '4', shards: '[1,2,3,4]', config: 'configs/matrix.nightly.yaml' });
        assert.deepEqual(JSON.parse(scheduled.outputs.shards ?? ''), [1, 2, 3, 4]);
        const one = await go({ SHARDS: '1', CONFIG: 'configs/matrix.yaml' });
        assert.deepEqual(one.outputs, { count: '1', shards: '[1]', config: 'configs/matrix.yaml' });
        const bads: Record<string, string>[] = [{ SHARDS: '0' }, { SHARDS: '17' }, { SHARDS: '2; touch x' }, { CONFIG: '../etc/passwd' }, { CONFIG: 'configs/nope.yaml' }];
        for (const bad of bads) {
          const r = await go(bad);
          assert.equal(r.exitCode, 2, `${JSON.stringify(bad)}: ${r.out}`);
          assert.match(r.out, /::error::/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('merge downloads every shard, merges them, publishes the report and the summary', () => {
      const merge = job(wf, 'merge');
      const download = stepUsing(merge, 'actions/download-artifact');
      assert.equal(download.with?.pattern, 'shard-*');
      assert.equal(download.with?.path, 'results');
      const all = runSteps(merge).map((s) => s.run).join('\n');
      const call = kvmatrixCalls(all).find((c) => c.args[0]?.text === 'merge');
      assert.equal(call?.args.map((a) => a.text).join(' '), 'merge results/shard-* --out results/merged');
      assert.match(all, /cat results\/merged\/matrix\.md >> "\$GITHUB_STEP_SUMMARY"/);
      const upload = stepUsing(merge, 'actions/upload-artifact');
      const paths = String(upload.with?.path).trim().split('\n').sort();
      assert.deepEqual(paths, ['junit.xml', 'matrix.md', 'report.html', 'results.json'].map((f) => `results/merged/${f}`));
      assert.ok(runsAfterFailure(upload.if));
    });

    describe('the verdict step', () => {
      const step = runSteps(job(wf, 'merge')).find((s) => s.name === 'Verdict');
      let dir = '';

      before(() => {
        dir = mkdtempSync(join(tmpdir(), 'kvmatrix-verdict-'));
        mkdirSync(join(dir, 'results', 'merged'), { recursive: true });
      });
      after(() => rmSync(dir, { recursive: true, force: true }));

      /** The step run on a merged results.json with this `overall` (none: no file), as in the merge job. */
      const verdict = async (overall: { exitCode: number; line: string; blockers: string[] } | null, missing = '') => {
        assert.ok(step);
        const file = join(dir, 'results', 'merged', 'results.json');
        rmSync(file, { force: true });
        if (overall) writeFileSync(file, JSON.stringify({ overall: { verdict: 'x', unexpected: [], ...overall } }));
        return bash(step.run, dir, { MISSING_SHARDS: missing });
      };
      const errorLines = (out: string) => out.split('\n').filter((l) => l.startsWith('::error::'));

      it('is a here-document of plain node that reads only the merged results.json', () => {
        assert.ok(step);
        const script = heredoc(step.run);
        assert.match(script, /results\/merged\/results\.json/);
        assert.doesNotMatch(script, /harness\/|tsx/, 'no harness code: the merged run already holds the verdict');
        assert.doesNotMatch(step.run, /tsx/);
      });

      it('passes a validated run and prints its line', async () => {
        const r = await verdict({ exitCode: 0, line: 'VALIDATED: 3 case(s) fixed', blockers: [] });
        assert.equal(r.exitCode, 0, r.out);
        assert.equal(r.out, 'VALIDATED: 3 case(s) fixed\n');
      });

      it('fails on any other exit code with one annotation per blocker', async () => {
        const cases: [Parameters<typeof verdict>[0], string[]][] = [
          [{ exitCode: 1, line: 'NOT VALIDATED: 2 regression(s); 2 blocker(s) in all', blockers: ['2 regressed: a on 6.1/x86_64, b on 6.1/arm64', 'unexpected: s/x on 6.6/x86_64 base: expected pass, got fail'] },
            ['exit 1: NOT VALIDATED: 2 regression(s); 2 blocker(s) in all', '2 regressed: a on 6.1/x86_64, b on 6.1/arm64', 'unexpected: s/x on 6.6/x86_64 base: expected pass, got fail']],
          [{ exitCode: 69, line: 'INCOMPLETE: 12 of 14 planned cell(s) have results', blockers: ['6.12/x86_64/base: no result', '6.12/arm64/base: no result'] },
            ['exit 69: INCOMPLETE: 12 of 14 planned cell(s) have results', '6.12/x86_64/base: no result', '6.12/arm64/base: no result']],
          [{ exitCode: 1, line: 'NOT VALIDATED: no case went from failing to passing', blockers: ['no case went from failing on base to passing on a variant'] },
            ['exit 1: NOT VALIDATED: no case went from failing to passing', 'no case went from failing on base to passing on a variant']],
        ];
        for (const [overall, want] of cases) {
          const r = await verdict(overall);
          assert.equal(r.exitCode, 1, r.out);
          assert.deepEqual(errorLines(r.out), want.map((w) => `::error::${w}`));
        }
      });

      it('fails on missing shards and on a merge that wrote nothing; escapes % and newlines', async () => {
        const lost = await verdict({ exitCode: 0, line: 'VALIDATED', blockers: [] }, '3');
        assert.equal(lost.exitCode, 1);
        assert.deepEqual(errorLines(lost.out), ['::error::no results from shard(s) 3']);
        const none = await verdict(null);
        assert.equal(none.exitCode, 1);
        assert.deepEqual(errorLines(none.out), ['::error::no results/merged/results.json: see the merge step']);
        const odd = await verdict({ exitCode: 1, line: 'NOT VALIDATED', blockers: ['100% of\ntwo lines'] });
        assert.deepEqual(errorLines(odd.out), ['::error::exit 1: NOT VALIDATED', '::error::100%25 of%0Atwo lines']);
      });

      it('fails a real merge that lacks a shard: merge plans the whole matrix, so the lost cells are blockers', async function () {
        this.timeout(60_000);
        assert.ok(step);
        const sb = sandbox();
        try {
          const work = join(sb.root, 'work');
          makeRunDir(join(work, 'results', 'shard-1'), { cells: (ids) => ids.slice(0, 5) });
          const merged = await kvmatrix(sb, ['merge', join(work, 'results', 'shard-1'), '--out', join(work, 'results', 'merged')]);
          // The recorded run also has a regression, which outranks INCOMPLETE in the exit code.
          assert.equal(merged.exitCode, 1, merged.stderr);
          const r = await bash(step.run, work, { MISSING_SHARDS: '2' });
          assert.equal(r.exitCode, 1, r.out);
          const errors = errorLines(r.out);
          assert.equal(errors[0], '::error::no results from shard(s) 2');
          assert.match(errors[1] ?? '', /^::error::exit 1: NOT VALIDATED/);
          assert.deepEqual(errors.filter((e) => e.endsWith(': no result')), ['5.10/x86_64/base', '6.1/arm64/v1-as-posted', '6.12/x86_64/base', '7.2/x86_64/base', '7.2/arm64/base'].map((id) => `::error::${id}: no result`));
        } finally {
          sb.cleanup();
        }
      });
    });
  });

  describe('pr.yml', () => {
    const wf = loadWorkflow(PR);

    it('runs npm test on pull requests and pushes to main, within 90 minutes', () => {
      const on = wf.on as { pull_request: unknown; push: { branches: string[] } };
      assert.ok('pull_request' in on);
      assert.deepEqual(on.push.branches, ['main']);
      const jobs = Object.values(wf.jobs);
      assert.equal(jobs.length, 1);
      const test = jobs[0] as Job;
      assert.equal(test['timeout-minutes'], 90);
      assert.ok(runSteps(test).some((s) => s.run.trim() === 'npm test'));
      const key = String(stepUsing(test, 'actions/cache/restore').with?.key);
      assert.ok(key.includes("'configs/matrix.ci.yaml'"), 'the test cache key hashes the CI matrix');
    });
  });
});

describe('configs/matrix.nightly.yaml', () => {
  let cfg: MatrixConfig;
  before(() => {
    cfg = loadMatrixConfig(NIGHTLY_CONFIG);
  });

  // https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.6.63.tar.xz
  const layout = /^https:\/\/cdn\.kernel\.org\/pub\/linux\/kernel\/v(\d+)\.x\/linux-((\d+)\.(\d+)(?:\.(\d+))?)\.tar\.xz$/;

  function versionOf(kernelId: string): string {
    const k = cfg.kernels.find((x) => x.id === kernelId);
    assert.ok(k && k.source.provider === 'tarball');
    return (layout.exec(k.source.url) as RegExpExecArray)[2] as string;
  }

  it('loads and plans base for every kernel on x86_64 and arm64 (riscv64 on mainline), patched for 6.1 only', () => {
    assert.deepEqual(planCells(cfg).map((c) => c.id), [
      '5.10/x86_64/base', '5.10/arm64/base',
      '5.15/x86_64/base', '5.15/arm64/base',
      '5.19/x86_64/base', '5.19/arm64/base',
      '6.1/x86_64/base', '6.1/x86_64/patched', '6.1/arm64/base', '6.1/arm64/patched',
      '6.2/x86_64/base', '6.2/arm64/base',
      '6.3/x86_64/base', '6.3/arm64/base',
      '6.6/x86_64/base', '6.6/arm64/base',
      '6.12/x86_64/base', '6.12/arm64/base',
      '7.3/x86_64/base', '7.3/arm64/base', '7.3/riscv64/base',
    ]);
  });

  it('keeps every longterm series and mainline, mainline being the newest kernel', () => {
    const series = cfg.kernels.map((k) => k.id);
    for (const lts of ['5.10', '5.15', '6.1', '6.6', '6.12']) assert.ok(series.includes(lts), `longterm ${lts}`);
    const versions = cfg.kernels.map((k) => versionOf(k.id));
    const newest = [...versions].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
    // A mainline release tarball has no sublevel (linux-7.3.tar.xz); the stable ones do.
    assert.equal(newest, '7.3');
    assert.equal(cfg.kernels[cfg.kernels.length - 1]?.id, '7.3');
    assert.equal(cfg.kernels.filter((k) => k.arches?.includes('riscv64') ?? true).map((k) => k.id).join(), '7.3', 'riscv64 runs the newest kernel only');
  });

  it('takes every kernel from a kernel.org stable tarball whose directory matches its major version', () => {
    for (const k of cfg.kernels) {
      assert.equal(k.source.provider, 'tarball', k.id);
      if (k.source.provider !== 'tarball') continue;
      const m = layout.exec(k.source.url);
      assert.ok(m, `${k.id}: ${k.source.url} is not in the kernel.org layout /pub/linux/kernel/v<major>.x/linux-<ver>.tar.xz`);
      assert.equal(m[1], m[3], `${k.source.url}: v${m[1]}.x does not hold ${m[2]}`);
      assert.equal(k.id, `${m[3]}.${m[4]}`, `kernel id ${k.id} names the stable series of ${m[2]}`);
      const t = parseTarballUrl(k.source.url);
      assert.equal(t.name, `linux-${m[2]}`);
      assert.equal(t.compression, 'xz');
      // The sums file the provider falls back to (no sha256 in the config) sits next to the tarball.
      assert.equal(new URL('sha256sums.asc', t.url).href, `https://cdn.kernel.org/pub/linux/kernel/v${m[1]}.x/sha256sums.asc`);
    }
  });

  it('patches only kernels inside the bug window (>=5.19 <6.3) and covers both sides of the fix', () => {
    const patched = cfg.variants.find((v) => v.name === 'patched');
    assert.deepEqual(patched?.kernels, ['6.1']);
    for (const id of patched?.kernels ?? []) assert.ok(inRange(versionOf(id), '>=5.19 <6.3'), `${id} is in the bug window`);
    const versions = cfg.kernels.map((k) => versionOf(k.id));
    assert.ok(versions.some((v) => inRange(v, '>=5.19 <6.3')) && versions.some((v) => inRange(v, '>=6.3')));
    assert.ok(versions.some((v) => inRange(v, '>=6.10')), 'one kernel has arm64 uffd-wp');
  });

  it('judges by the same suites and expectations as configs/matrix.yaml, plus those of the arches only it runs (riscv64)', () => {
    const def = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
    assert.deepEqual(cfg.arches.filter((a) => def.arches.includes(a)), def.arches);
    const extra = new Set(cfg.arches.filter((a) => !def.arches.includes(a)));
    assert.deepEqual([...extra], ['riscv64']);
    assert.deepEqual(cfg.suites, def.suites);
    // Expectations about variants the nightly does not run (the as-posted email) stay with the default matrix.
    const mine = new Set(cfg.variants.map((v) => v.name));
    const onlyExtra = (e: { arches?: string[] }) => (e.arches ?? []).length > 0 && (e.arches ?? []).every((a) => extra.has(a));
    assert.deepEqual(cfg.expectations.filter((e) => !onlyExtra(e)), def.expectations.filter((e) => !e.variants || e.variants.some((v) => mine.has(v))));
    assert.ok(cfg.expectations.some(onlyExtra), 'the riscv64 expectations live in the nightly');
  });

  it('shards deterministically into disjoint, complete, non-empty slices that keep base and patched together', () => {
    const cells = planCells(cfg);
    for (const host of ['x86_64', 'aarch64']) {
      for (let n = 1; n <= 12; n++) {
        const slices = Array.from({ length: n }, (_, i) => shardCells(cells, i + 1, n, host).map((c) => c.id));
        assert.deepEqual(slices.flat().sort(), cells.map((c) => c.id).sort(), `${host} N=${n}: every cell exactly once`);
        assert.deepEqual(slices, Array.from({ length: n }, (_, i) => shardCells(cells, i + 1, n, host).map((c) => c.id)), 'deterministic');
        for (const s of slices) {
          assert.ok(s.length > 0, `${host} N=${n}: no empty shard`);
          for (const id of s.filter((x) => x.endsWith('/patched'))) assert.ok(s.includes(id.replace(/patched$/, 'base')), `${id} shares its shard with base`);
        }
      }
    }
  });
});
