// `kvmatrix bisect` on inputs that must fail before anything is cloned,
// built or booted: exit 2 with the reason, nothing written.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertUserError, configDir, kvmatrix, refusalSandbox, validYaml } from './helpers.ts';

describe('kvmatrix bisect: usage is checked before anything starts', function () {
  this.timeout(60_000);
  const box = refusalSandbox();
  const { assertNothingWritten } = box;

  it('documents every flag and the exit codes in --help', async () => {
    const r = await kvmatrix(box.sb, ['bisect', '--help']);
    assert.equal(r.exitCode, 0);
    for (const flag of ['--case', '--good', '--bad', '--fixed', '--source', '--versions', '--arch', '--variant']) assert.ok(r.stdout.includes(flag), flag);
  });

  const cases: { what: string; args: (cfg: string) => string[]; code: string; mentions: (string | RegExp)[] }[] = [
    { what: 'a missing --case', args: () => ['--good', 'a', '--bad', 'b'], code: 'USAGE', mentions: ['--case'] },
    { what: 'commits without --good', args: () => ['--case', 's/exit', '--bad', 'b'], code: 'USAGE', mentions: ['--good REF and --bad REF'] },
    { what: '--versions with --good', args: () => ['--case', 's/exit', '--versions', '--good', 'a'], code: 'USAGE', mentions: ['--good'] },
    { what: 'an unknown suite', args: (cfg) => ['--config', cfg, '--case', 'nope/x', '--good', 'a', '--bad', 'b', '--source', '/tmp'], code: 'UNKNOWN_SUITE', mentions: ['Available: s/...'] },
    { what: 'an unknown variant', args: (cfg) => ['--config', cfg, '--case', 's/exit', '--good', 'a', '--bad', 'b', '--variant', 'pathced', '--source', '/tmp'], code: 'UNKNOWN_VARIANT', mentions: ['Available: base, patched'] },
    { what: 'no git source anywhere', args: (cfg) => ['--config', cfg, '--case', 's/exit', '--good', 'a', '--bad', 'b'], code: 'BISECT_NO_SOURCE', mentions: ['--source'] },
    { what: 'a source that is not a repository', args: (cfg) => ['--config', cfg, '--case', 's/exit', '--good', 'a', '--bad', 'b', '--source', join(cfg, '..', 'tree')], code: 'SOURCE_NOT_A_REPO', mentions: ['is not a git repository'] },
    { what: '--versions over one kernel', args: (cfg) => ['--config', cfg, '--case', 's/exit', '--versions'], code: 'USAGE', mentions: ['at least two kernels'] },
  ];
  for (const c of cases) {
    it(`refuses ${c.what}: exit 2, nothing written`, async () => {
      const cfg = configDir(box.sb.root, () => validYaml());
      assertUserError(await kvmatrix(box.sb, ['bisect', ...c.args(cfg)]), c.code, ...c.mentions);
      assertNothingWritten();
    });
  }
});
