// Kconfig fragments from configs/kconfig/, resolved to their text (which goes
// into the build cache key: editing a fragment invalidates exactly its builds).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configsDir } from '../util/paths.ts';
import { UserError } from '../errors.ts';
import type { ArchProfile } from '../arch/profile.ts';

export interface Fragment {
  name: string;
  path: string;
  text: string;
  optional: boolean;
}

export function fragmentDir(): string {
  return join(configsDir, 'kconfig');
}

async function load(name: string, optional: boolean): Promise<Fragment> {
  const path = join(fragmentDir(), name);
  try {
    return { name, path, text: await readFile(path, 'utf8'), optional };
  } catch {
    throw new UserError('FRAGMENT_MISSING', `kconfig fragment ${name} not found at ${path}`, { stage: 'config' });
  }
}

export async function fragmentsFor(arch: ArchProfile): Promise<Fragment[]> {
  const out: Fragment[] = [];
  for (const n of arch.kernel.fragments) out.push(await load(n, false));
  for (const n of arch.kernel.optionalFragments) out.push(await load(n, true));
  return out;
}
