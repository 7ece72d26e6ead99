// A variant's patches: a directory with a `series` file (quilt/git style), or
// an explicit list of files. Every patch is recorded with its sha256.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { sha256 } from '../util/hash.ts';
import { parsePatchFile, type PatchMessage } from './parse.ts';

export interface PatchFile {
  path: string;
  sha256: string;
  bytes: Buffer;
  messages: PatchMessage[];
}

export async function loadPatchFiles(paths: readonly string[], baseDir: string): Promise<PatchFile[]> {
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(baseDir, p);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new UserError('PATCH_MISSING', `patch or series "${p}" not found (looked at ${abs})`, { stage: 'patch' });
    }
    if (st.isDirectory()) {
      const seriesPath = join(abs, 'series');
      let series: string;
      try {
        series = await readFile(seriesPath, 'utf8');
      } catch {
        throw new UserError('PATCH_SERIES_MISSING', `${abs} is a directory without a series file`, { stage: 'patch', hint: 'list the patch files in order, one per line, in a file named series' });
      }
      for (const line of series.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)) files.push(join(abs, line));
    } else {
      files.push(abs);
    }
  }
  const out: PatchFile[] = [];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(f);
    } catch {
      throw new UserError('PATCH_MISSING', `patch file ${f} (listed in a series) not found`, { stage: 'patch' });
    }
    out.push({ path: f, sha256: sha256(bytes), bytes, messages: parsePatchFile(bytes.toString('utf8')) });
  }
  return out;
}
