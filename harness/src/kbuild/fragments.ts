// Kconfig fragments from configs/kconfig/, resolved to their text (which goes
// into the build cache key: editing a fragment invalidates exactly its builds).
// A profile may give a fragment a version range (options that appeared or
// went away): it is merged, and its options required, only inside it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configsDir } from '../util/paths.ts';
import { UserError } from '../errors.ts';
import type { ArchProfile, FragmentRef } from '../arch/profile.ts';
import { inRange } from '../util/version-range.ts';

export interface Fragment {
  name: string;
  path: string;
  text: string;
  optional: boolean;
  /** The kernel versions it is for (absent: all). */
  versions?: string;
}

export function fragmentDir(): string {
  return join(configsDir, 'kconfig');
}

async function load(ref: FragmentRef, optional: boolean): Promise<Fragment> {
  const name = typeof ref === 'string' ? ref : ref.name;
  const path = join(fragmentDir(), name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError('FRAGMENT_MISSING', `kconfig fragment ${name} not found at ${path}`, { stage: 'config' });
  }
  return { name, path, text, optional, ...(typeof ref === 'string' ? {} : { versions: ref.versions }) };
}

/** Whether a profile's fragment entry is merged for this kernel version. Pure. */
export function fragmentApplies(ref: FragmentRef, kernelVersion: string): boolean {
  return typeof ref === 'string' || inRange(kernelVersion, ref.versions);
}

/** The fragments `arch` merges onto tinyconfig for a kernel of `kernelVersion`, in profile order. */
export async function fragmentsFor(arch: ArchProfile, kernelVersion: string): Promise<Fragment[]> {
  const out: Fragment[] = [];
  for (const ref of arch.kernel.fragments.filter((r) => fragmentApplies(r, kernelVersion))) out.push(await load(ref, false));
  for (const ref of arch.kernel.optionalFragments.filter((r) => fragmentApplies(r, kernelVersion))) out.push(await load(ref, true));
  return out;
}
