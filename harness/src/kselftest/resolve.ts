// Which of a program's candidate source lists this tree has, and which local
// headers those sources pull in (for the cache key).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { KselftestProgram } from './types.ts';

/** tools/testing/selftests of a kernel tree. */
export function selftestsDir(tree: string): string {
  return join(tree, 'tools', 'testing', 'selftests');
}

export type Resolution =
  | { ok: true; sources: string[] }
  | { ok: false; reason: string };

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The first candidate list whose files all exist under `selftests`
 * (paths returned relative to it, in catalog order).
 */
export function resolveSources(selftests: string, program: Pick<KselftestProgram, 'sources'>): Resolution {
  for (const candidate of program.sources) {
    if (candidate.every((f) => isFile(join(selftests, f)))) return { ok: true, sources: [...candidate] };
  }
  // Name the main (first) file of each candidate: that is what a reader looks for.
  const looked = [...new Set(program.sources.map((c) => c[0]).filter((f): f is string => f !== undefined))];
  const partial = program.sources
    .filter((c) => isFile(join(selftests, c[0] ?? '')))
    .map((c) => `${c[0]} exists but ${c.filter((f) => !isFile(join(selftests, f))).join(', ')} do(es) not`);
  return { ok: false, reason: `not in this tree (looked for ${looked.join(', ')})${partial.length ? `; ${partial.join('; ')}` : ''}` };
}

const QUOTE_INCLUDE = /^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/gm;

/**
 * Every file inside `tree` that `sources` reach through `#include "..."`,
 * transitively (searched like gcc: the including file's directory, then the
 * `-I` dirs). Paths relative to `tree`, sorted; sources themselves included.
 * Headers gcc would find elsewhere (system, generated, missing) are left out:
 * the tree identity and the compiler version cover those.
 */
export function localIncludeClosure(tree: string, sources: readonly string[], includeDirs: readonly string[]): string[] {
  const root = resolve(tree);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  const seen = new Set<string>();
  const queue = sources.map((s) => resolve(s));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file) || !inside(file) || !isFile(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(QUOTE_INCLUDE)) {
      const name = m[1] as string;
      const found = [dirname(file), ...includeDirs].map((d) => resolve(d, name)).find((p) => isFile(p));
      if (found) queue.push(found);
    }
  }
  return [...seen].map((f) => relative(root, f)).sort();
}
