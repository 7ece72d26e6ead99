// Every recorded console log in fixtures/console scans to its golden JSON.
import { detectBootMarkers, scanConsole } from '../../../src/parse/console.ts';
import { assertMatchesGolden, fixturesIn } from '../../golden.ts';

describe('scanConsole goldens', () => {
  for (const f of fixturesIn('console')) {
    it(f.name, () => {
      assertMatchesGolden({ boot: detectBootMarkers(f.input), findings: scanConsole(f.input) }, f.goldenPath);
    });
  }
});
