// The selftest on the host kernel (recent, soft-dirty off here): every case
// must pass or skip with a reason, and the output must be valid KTAP.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { machine } from 'node:os';
import { hostArch } from '../../src/arch/profile.ts';
import { buildSelftest } from '../../src/guest/selftest-build.ts';
import { run } from '../../src/exec/run.ts';
import { parseKtap } from '../../src/parse/ktap.ts';
import { cacheDir, guestDir } from '../../src/util/paths.ts';

describe('selftest on the host kernel', function () {
  this.timeout(120_000);
  it('passes or skips every case with a reason, in valid KTAP', async function () {
    const arch = hostArch(machine());
    if (!arch) this.skip();
    const bin = await buildSelftest(cacheDir(), arch, join(guestDir, 'selftests', 'softdirty_uffdwp.c'), '/dev/null');
    const r = await run(bin.path, [], { timeoutMs: 60_000 });
    assert.ok(r.exitCode === 0 || r.exitCode === 4, `exit ${r.exitCode}\n${r.stdout}`);
    const doc = parseKtap(r.stdout);
    assert.equal(doc.version, 'TAP version 13');
    assert.deepEqual(doc.plan, { start: 1, end: 12 });
    assert.ok(doc.complete, JSON.stringify(doc.problems));
    assert.equal(doc.cases.length, 12);
    for (const c of doc.cases) {
      assert.ok(c.status === 'pass' || c.status === 'skip', `${c.name}: ${c.status}`);
      if (c.status === 'skip') assert.ok((c.reason ?? '').length > 10, `${c.name} skips without a reason`);
    }
  });
});
