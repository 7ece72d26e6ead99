// The patch states in words, for patch-report.txt and the reports. Pure.
import type { PatchState } from '../results/types.ts';

export const PATCH_STATE_WORDS: Readonly<Record<PatchState, string>> = {
  applied: 'applies cleanly',
  'applied-with-offset': 'applies with an offset',
  'applied-after-repair': 'applies after repair',
  'already-present': 'already present',
  'does-not-apply': 'does not apply',
};
