// The patch stage: apply a variant's series to the kernel source, without
// writing to the pristine tree and without a build work tree. Each message
// goes through `git apply --check` then `git apply` in an overlay holding
// only the files the series touches (copies of the pristine ones), so a
// series whose second patch builds on its first applies as it would in a
// tree. The output is the patched content of every touched file: the build
// stage writes exactly that into its work tree.
import { mkdtemp, mkdir, copyFile, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../exec/run.ts';
import { UserError } from '../errors.ts';
import { hashValue } from '../util/hash.ts';
import type { KernelSource } from '../source/types.ts';
import type { PatchFile } from './series.ts';
import { summarizeApplyError } from './parse.ts';

export interface PatchedFiles {
  /** Identifies the applied series (hash of the patch files' sha256s): what the work tree has applied. */
  key: string;
  /** Tree-relative paths the series touches, sorted. */
  touched: string[];
  /** Their content after the series; null where the series deletes the file. */
  contents: Record<string, Buffer | null>;
}

/** The key of a series: equal keys mean equal patched trees for the same source. */
export function seriesKey(patches: readonly PatchFile[]): string {
  return hashValue(patches.map((p) => p.sha256));
}

function messageLabel(patch: PatchFile, index: number, subject: string | null): string {
  return `${patch.path}${patch.messages.length > 1 ? ` (message ${index}${subject ? `: ${subject}` : ''})` : ''}`;
}

/** Apply `patches` in order to the files of `source` they touch. Throws PATCH_* user errors naming the patch and hunk. */
export async function applyPatches(source: KernelSource, patches: readonly PatchFile[], logPath: string): Promise<PatchedFiles> {
  const key = seriesKey(patches);
  const overlay = await mkdtemp(join(tmpdir(), 'kvmatrix-patch-'));
  // Keep git from discovering a repository above the overlay (paths would then be relative to its root).
  const env = { GIT_CEILING_DIRECTORIES: dirname(overlay) };
  const touched = new Set<string>();
  try {
    for (const patch of patches) {
      for (const msg of patch.messages) {
        const label = messageLabel(patch, msg.index, msg.subject);
        if (msg.files.length === 0) throw new UserError('PATCH_EMPTY', `${label} contains no diff`, { stage: 'patch' });
        for (const f of msg.files) {
          if (touched.has(f)) continue;
          touched.add(f);
          if (existsSync(join(source.tree, f))) {
            await mkdir(dirname(join(overlay, f)), { recursive: true });
            await copyFile(join(source.tree, f), join(overlay, f));
          }
        }
        const check = await run('git', ['apply', '--check', '-v', '-'], { cwd: overlay, env, input: msg.text, logPath });
        if (check.exitCode !== 0) {
          const s = summarizeApplyError(check.stderr);
          throw new UserError('PATCH_DOES_NOT_APPLY',
            `${label} does not apply to ${source.identity}: ${s.file ? `${s.file}${s.line ? `:${s.line}` : ''}: ` : s.line ? `line ${s.line}: ` : ''}${s.reason}`,
            { stage: 'patch', logPath, logTail: check.stderr.trim().split('\n').slice(-15).join('\n'), hint: 'rebase the patch onto this kernel or limit the variant to kernels it applies to' });
        }
        const apply = await run('git', ['apply', '-'], { cwd: overlay, env, input: msg.text, logPath });
        if (apply.exitCode !== 0) throw new UserError('PATCH_DOES_NOT_APPLY', `${label}: git apply failed after --check passed: ${apply.stderr.trim()}`, { stage: 'patch', logPath });
      }
    }
    const contents: Record<string, Buffer | null> = {};
    for (const f of [...touched].sort()) contents[f] = existsSync(join(overlay, f)) ? await readFile(join(overlay, f)) : null;
    return { key, touched: [...touched].sort(), contents };
  } finally {
    await rm(overlay, { recursive: true, force: true });
  }
}
