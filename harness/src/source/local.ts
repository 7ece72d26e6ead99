// An existing kernel tree, used read-only: builds go out of tree and patches
// into the work tree's copies, so the user's tree is never written.
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceProvider, SourceSpec } from './types.ts';
import { treeKernelVersion } from './kernel-version.ts';
import { run } from '../exec/run.ts';

type LocalSpec = Extract<SourceSpec, { provider: 'local' }>;

export const localProvider: SourceProvider<LocalSpec> = {
  async fetch(_ctx: Ctx, spec: LocalSpec): Promise<KernelSource> {
    const tree = resolve(spec.path);
    const kernelVersion = existsSync(tree) ? await treeKernelVersion(tree) : null;
    if (!kernelVersion) throw new UserError('SOURCE_NOT_A_TREE', `${tree} is not a kernel source tree (no top-level Makefile with VERSION/PATCHLEVEL)`, { stage: 'source' });
    // A git tree is identified by its HEAD and dirtiness; otherwise by path
    // (and the user must --rebuild after editing it).
    const head = await run('git', ['-C', tree, 'rev-parse', 'HEAD']);
    const dirty = head.exitCode === 0 ? (await run('git', ['-C', tree, 'status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== '' : false;
    const identity = head.exitCode === 0 ? `local:${tree}@${head.stdout.trim()}${dirty ? '+dirty' : ''}` : `local:${tree}`;
    return { identity, tree, kernelVersion };
  },
};
