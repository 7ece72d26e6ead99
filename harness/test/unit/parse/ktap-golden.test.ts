// Every recorded KTAP capture in fixtures/ktap parses to its golden JSON.
import { parseKtap, summarizeKtap } from '../../../src/parse/ktap.ts';
import { assertMatchesGolden, fixturesIn } from '../../golden.ts';

describe('parseKtap goldens', () => {
  for (const f of fixturesIn('ktap')) {
    it(f.name, () => {
      const doc = parseKtap(f.input);
      assertMatchesGolden({ summary: summarizeKtap(doc), ...doc }, f.goldenPath);
    });
  }
});
