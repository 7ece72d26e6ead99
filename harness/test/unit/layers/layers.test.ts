// The layer map of harness/src (STYLE.md), checked on the real import graph:
// data flows down, nothing imports upward, and nothing imports in a circle.
// Type-only and dynamic imports count: they tie modules together as much as
// value imports do. `npm run check:cycles` runs the same tool (dpdm).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Bottom to top; a module may import its own layer and the ones below it. */
export const LAYERS: readonly (readonly string[])[] = [
  ['util', 'errors.ts', 'progress.ts'],
  ['parse', 'results', 'exec', 'stage.ts'],
  ['arch', 'ssh', 'apt'],
  ['source', 'patch', 'kbuild', 'guest', 'boot', 'kselftest', 'provision'],
  ['mail'],
  ['plan'],
  ['pipeline'],
  ['compare'],
  ['report'],
  ['matrix', 'validate', 'bisect'],
  ['cli', 'progress-tty.ts'],
];

function layerOf(file: string): number {
  const top = file.replace(/^harness\/src\//, '').split('/')[0] ?? '';
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`${file}: ${top} is in no layer of LAYERS; add it where it belongs`);
  return i;
}

describe('harness/src layers', () => {
  let tree: DependencyTree;
  before(async function () {
    this.timeout(60_000);
    tree = await parseDependencyTree('harness/src/**/*.ts', { cwd: ROOT, context: ROOT, transform: false });
  });

  it('resolves every relative import (none can hide a cycle or an upward arrow)', () => {
    const unresolved = Object.entries(tree).flatMap(([file, deps]) =>
      (deps ?? []).filter((d) => d.request.startsWith('.') && d.id === null).map((d) => `${file}: ${d.request}`));
    assert.deepEqual(unresolved, []);
  });

  it('has no import cycle', () => {
    assert.deepEqual(parseCircular(tree).map((c) => c.join(' -> ')), []);
  });

  it('never imports upward', () => {
    const upward: string[] = [];
    for (const [file, deps] of Object.entries(tree)) {
      if (!file.startsWith('harness/src/')) continue;
      for (const d of deps ?? []) {
        if (!d.id?.startsWith('harness/src/')) continue;
        if (layerOf(d.id) > layerOf(file)) upward.push(`${file} -> ${d.id}`);
      }
    }
    assert.deepEqual(upward, []);
  });
});
