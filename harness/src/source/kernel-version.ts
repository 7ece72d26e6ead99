import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** VERSION.PATCHLEVEL.SUBLEVEL(EXTRAVERSION) from the top Makefile, without running make. */
export function kernelVersionFromMakefile(text: string): string | null {
  const get = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\S*)\\s*$`, 'm').exec(text)?.[1];
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  if (!v || p === undefined) return null;
  const s = get('SUBLEVEL');
  return `${v}.${p}${s ? `.${s}` : ''}${get('EXTRAVERSION') ?? ''}`;
}

export async function treeKernelVersion(tree: string): Promise<string | null> {
  try {
    return kernelVersionFromMakefile(await readFile(join(tree, 'Makefile'), 'utf8'));
  } catch {
    return null;
  }
}
