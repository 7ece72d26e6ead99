// The layer map has no cycles: commands import cli/args.ts and cli/prepare.ts,
// never main.ts, and nothing in harness/src imports its way back to itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../../../src/util/paths.ts';

const SRC = join(repoRoot, 'harness', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Static value imports (type-only imports vanish at runtime and cannot form a load cycle). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1] as string));
}

describe('import graph', () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));

  it('has no cycles in harness/src', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(SRC, x)).join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    assert.deepEqual(cycles, []);
  });

  it('only the entry point imports cli/main.ts', () => {
    const main = join(SRC, 'cli', 'main.ts');
    assert.deepEqual(files.filter((f) => graph.get(f)?.includes(main)).map((f) => relative(SRC, f)), []);
  });
});
