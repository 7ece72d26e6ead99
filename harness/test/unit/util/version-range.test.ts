import assert from 'node:assert/strict';
import { inRange, compareVersions } from '../../../src/util/version-range.ts';

describe('version ranges', () => {
  it('compares kernel versions numerically', () => {
    assert.ok(compareVersions('6.1.192', '6.3') < 0);
    assert.ok(compareVersions('6.12.117', '6.3') > 0);
    assert.ok(inRange('6.1.192', '>=5.19 <6.3'));
    assert.ok(!inRange('6.3.0', '>=5.19 <6.3'));
    assert.ok(inRange('6.3-rc1', '>= 6.3'));
    assert.ok(!inRange('5.18.19', '>=5.19 <6.3'));
  });
});
