import { mkdir, rename, rm, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Fill a fresh temp dir next to `finalDir`, then rename it into place, so an
 * interrupted writer never leaves something that looks complete.
 */
export async function writeDirAtomically(finalDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(finalDir), { recursive: true });
  const tmp = join(dirname(finalDir), `.tmp-${basename(finalDir)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await rm(finalDir, { recursive: true, force: true });
    await rename(tmp, finalDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

export async function writeFileAtomically(path: string, data: string | Buffer, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, mode === undefined ? undefined : { mode });
  await rename(tmp, path);
}

export async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function readJsonSync<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export async function isNonEmptyFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

export { existsSync };

/** Last `n` lines of a text file (for error messages). */
export function tailFile(path: string, n = 40): string {
  try {
    const lines = readFileSync(path, 'utf8').split('\n');
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}
