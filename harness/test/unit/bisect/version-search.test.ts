// The search over kernels ordered by version: what to test next, when the
// first change is known, and what skips leave open.
import assert from 'node:assert/strict';
import { nextVersionProbe, type ProbeAnswer } from '../../../src/bisect/version-search.ts';

const r = (s: string): (ProbeAnswer | undefined)[] => [...s].map((c) => ({ o: 'old', n: 'new', s: 'skip', '.': undefined } as const)[c as 'o' | 'n' | 's' | '.']);

describe('bisect/version-search', () => {
  it('tests the oldest, then the newest, then halves', () => {
    assert.deepEqual(nextVersionProbe(r('.....')), { kind: 'test', index: 0 });
    assert.deepEqual(nextVersionProbe(r('o....')), { kind: 'test', index: 4 });
    assert.deepEqual(nextVersionProbe(r('o...n')), { kind: 'test', index: 2 });
    assert.deepEqual(nextVersionProbe(r('o.o.n')), { kind: 'test', index: 3 });
    assert.deepEqual(nextVersionProbe(r('o.onn')), { kind: 'found', index: 3, from: 'old', to: 'new' });
  });

  it('finds a change in either direction', () => {
    assert.deepEqual(nextVersionProbe(r('nno')), { kind: 'found', index: 2, from: 'new', to: 'old' });
    assert.deepEqual(nextVersionProbe(r('on')), { kind: 'found', index: 1, from: 'old', to: 'new' });
  });

  it('steps around skipped kernels, at the ends and inside', () => {
    assert.deepEqual(nextVersionProbe(r('s....')), { kind: 'test', index: 1 });
    assert.deepEqual(nextVersionProbe(r('so...')), { kind: 'test', index: 4 });
    assert.deepEqual(nextVersionProbe(r('so..s')), { kind: 'test', index: 3 });
    assert.deepEqual(nextVersionProbe(r('o.s.n')), { kind: 'test', index: 1 });
  });

  it('names every kernel a skip could hide the change in', () => {
    assert.deepEqual(nextVersionProbe(r('ossn')), { kind: 'ambiguous', candidates: [1, 2, 3] });
    assert.deepEqual(nextVersionProbe(r('oos')), { kind: 'ambiguous', candidates: [2] });
  });

  it('says no change when the newest answer agrees with the oldest', () => {
    assert.deepEqual(nextVersionProbe(r('o..o')), { kind: 'no-change', outcome: 'old' });
    assert.deepEqual(nextVersionProbe(r('sss')), { kind: 'no-change', outcome: null });
  });
});
