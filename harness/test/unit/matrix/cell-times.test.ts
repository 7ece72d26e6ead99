import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cellTimeKey, cellTimesPath, longestFirst, readCellTimes, recordCellTime } from '../../../src/matrix/cell-times.ts';

const cells = ['5.10/x86_64/base', '6.1/x86_64/base', '6.1/x86_64/patched', '6.12/x86_64/base', '7.2/x86_64/base', '7.2/arm64/base'].map((id) => ({ id, variant: { name: id.split('/')[2] ?? '' } }));
const key = (id: string) => cellTimeKey('m', id);

describe('matrix/cell-times: the longest cells start first', () => {
  it('runs every base first when nothing was timed (a cold run: no slot waits on a work tree), then the variants', () => {
    assert.deepEqual(longestFirst(cells, {}, key).map((c) => c.id),
      ['5.10/x86_64/base', '6.1/x86_64/base', '6.12/x86_64/base', '7.2/x86_64/base', '7.2/arm64/base', '6.1/x86_64/patched']);
  });

  it('orders timed cells longest first, untimed ones ahead of them in plan order, ties stable', () => {
    const times = { [key('5.10/x86_64/base')]: 9000, [key('6.1/x86_64/base')]: 21000, [key('6.1/x86_64/patched')]: 21000, [key('7.2/x86_64/base')]: 35000, [key('7.2/arm64/base')]: 32000 };
    assert.deepEqual(longestFirst(cells, times, key).map((c) => c.id),
      ['6.12/x86_64/base', '7.2/x86_64/base', '7.2/arm64/base', '6.1/x86_64/base', '6.1/x86_64/patched', '5.10/x86_64/base']);
  });

  it('keys by config name, so another config\'s cell of the same id does not count', () => {
    const times = { [cellTimeKey('other', '5.10/x86_64/base')]: 99000, [key('6.1/x86_64/base')]: 1 };
    assert.equal(longestFirst(cells, times, key)[0]?.id, '5.10/x86_64/base');
    assert.equal(longestFirst(cells, times, key).at(-1)?.id, '6.1/x86_64/base');
  });

  it('records durations in the cache and reads them back; a missing or broken file is no times at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-times-'));
    try {
      assert.deepEqual(await readCellTimes(dir), {});
      const times = await readCellTimes(dir);
      await recordCellTime(dir, times, key('6.1/x86_64/base'), 20999.6);
      await recordCellTime(dir, times, key('7.2/x86_64/base'), 35000);
      assert.deepEqual(await readCellTimes(dir), { [key('6.1/x86_64/base')]: 21000, [key('7.2/x86_64/base')]: 35000 });
      assert.match(readFileSync(cellTimesPath(dir), 'utf8'), /"m\|7\.2\/x86_64\/base": 35000/);
      mkdirSync(join(dir, 'host'), { recursive: true });
      writeFileSync(cellTimesPath(dir), '[1, 2');
      assert.deepEqual(await readCellTimes(dir), {});
      writeFileSync(cellTimesPath(dir), '[1, 2]');
      assert.deepEqual(await readCellTimes(dir), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
