// After a build killed mid-way (Ctrl-C, a timeout), what it wrote into the
// object dir may be truncated yet look up to date to make: every file newer
// than the stamp written before the build is deleted, the rest is kept.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BUILDING_STAMP, commitIdentity, dropInterruptedObjects } from '../../../src/bisect/tree-stages.ts';

describe('bisect/tree-stages', () => {
  it('drops what an interrupted build wrote, keeps what was there before it', async () => {
    const obj = mkdtempSync(join(tmpdir(), 'kvmatrix-obj-'));
    try {
      mkdirSync(join(obj, 'mm'));
      const old = new Date(Date.now() - 3600_000);
      for (const f of ['mm/memory.o', 'vmlinux']) {
        writeFileSync(join(obj, f), 'built before');
        utimesSync(join(obj, f), old, old);
      }
      writeFileSync(join(obj, BUILDING_STAMP), 'abc\n');
      const stampTime = new Date(Date.now() - 60_000);
      utimesSync(join(obj, BUILDING_STAMP), stampTime, stampTime);
      writeFileSync(join(obj, 'mm/userfaultfd.o'), 'trunc');
      await dropInterruptedObjects(obj, join(obj, '..', 'drop.log'));
      assert.equal(existsSync(join(obj, 'mm/userfaultfd.o')), false);
      assert.equal(existsSync(join(obj, 'mm/memory.o')), true);
      assert.equal(existsSync(join(obj, 'vmlinux')), true);
      assert.equal(existsSync(join(obj, BUILDING_STAMP)), false);
      // Nothing to do without a stamp.
      writeFileSync(join(obj, 'mm/userfaultfd.o'), 'complete');
      await dropInterruptedObjects(obj, join(obj, '..', 'drop.log'));
      assert.equal(existsSync(join(obj, 'mm/userfaultfd.o')), true);
    } finally {
      rmSync(obj, { recursive: true, force: true });
    }
  });

  it('gives a commit the identity a matrix git source gives it (same cache keys)', () => {
    assert.equal(commitIdentity('/srv/linux.git', 'a'.repeat(40)), `git:/srv/linux.git@${'a'.repeat(40)}`);
  });
});
