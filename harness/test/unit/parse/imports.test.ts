// harness/src/parse sits near the bottom of the layer map: its files must not
// import each other in a circle (type-only imports count: they tie the files
// together for a reader as much as value imports do). `npm run check:cycles`
// runs the same tool, dpdm, over all of harness/src.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('harness/src/parse imports', () => {
  let tree: DependencyTree;
  before(async () => {
    tree = await parseDependencyTree('harness/src/parse/**/*.ts', { cwd: ROOT, context: ROOT, transform: false });
  });

  it('resolves every relative import, so no cycle can hide behind an unresolved one', () => {
    const unresolved = Object.entries(tree).flatMap(([file, deps]) =>
      (deps ?? []).filter((d) => d.request.startsWith('.') && d.id === null).map((d) => `${file}: ${d.request}`));
    assert.deepEqual(unresolved, []);
    // The `.ts` specifiers (allowImportingTsExtensions) are followed, not skipped.
    assert.ok(tree['harness/src/parse/ktap.ts']?.some((d) => d.id === 'harness/src/parse/ktap-block.ts'));
  });

  it('has no import cycle', () => {
    assert.deepEqual(parseCircular(tree), []);
  });
});
