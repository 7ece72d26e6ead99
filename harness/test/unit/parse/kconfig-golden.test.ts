// Every config in fixtures/kconfig parses to its golden JSON, and formats back
// to text that parses to the same options.
import assert from 'node:assert/strict';
import { formatKconfig, parseKconfig } from '../../../src/parse/kconfig.ts';
import { assertMatchesGolden, fixturesIn } from '../../golden.ts';

describe('parseKconfig goldens', () => {
  for (const f of fixturesIn('kconfig')) {
    it(f.name, () => {
      const k = parseKconfig(f.input);
      assertMatchesGolden(k, f.goldenPath);
      assert.deepStrictEqual([...parseKconfig(formatKconfig(k))], [...k]);
    });
  }
});
