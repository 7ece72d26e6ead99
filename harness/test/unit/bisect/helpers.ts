// A tiny kernel-shaped tree (a Makefile with a version and the files the
// synthetic history edits) and its synthetic history: real git, no kernel.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { FIXTURES_DIR } from '../../golden.ts';
import { loadPatchFiles } from '../../../src/patch/series.ts';
import { makeSyntheticHistory, type SyntheticHistory } from '../../../src/bisect/synthetic-history.ts';

const FILES: Record<string, string> = {
  Makefile: 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 176\nEXTRAVERSION =\n',
  'Documentation/admin-guide/mm/userfaultfd.rst': 'userfaultfd\n===========\n',
  'Documentation/mm/index.rst': 'mm\n==\n',
  'kernel/sys.c': 'int sys(void) { return 0; }\n',
  'mm/mprotect.c': 'int mprotect(void) { return 0; }\n',
  'mm/madvise.c': 'int madvise(void) { return 0; }\n',
  'mm/userfaultfd.c': 'int uffd_wp_range(void)\n{\n\treturn 0; /* loses soft-dirty */\n}\n',
  'mm/Kconfig': 'config USERFAULTFD\n\tbool "userfaultfd"\n',
};

export function tinyTree(root: string): string {
  const tree = join(root, 'tree');
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(tree, rel)), { recursive: true });
    writeFileSync(join(tree, rel), text);
  }
  return tree;
}

export async function tinyHistory(opts: { commits?: number; plantAt?: number; breakAt?: number } = {}): Promise<{ root: string; cacheDir: string; history: SyntheticHistory }> {
  const root = mkdtempSync(join(tmpdir(), 'kvmatrix-bisect-'));
  const cacheDir = join(root, 'cache');
  const series = await loadPatchFiles([join(FIXTURES_DIR, 'bisect', 'tiny-series')], FIXTURES_DIR);
  const history = await makeSyntheticHistory({
    cacheDir, tree: tinyTree(root), treeIdentity: 'local:tiny', series,
    commits: opts.commits ?? 32, plantAt: opts.plantAt ?? 21, breakAt: opts.breakAt, logPath: join(root, 'history.log'),
  });
  return { root, cacheDir, history };
}
