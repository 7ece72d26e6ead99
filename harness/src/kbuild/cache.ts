// Content-addressed kernel builds: key = hash(source identity, ordered patch
// bytes, fragment texts, arch, compiler version). Entries are written to a temp
// dir and renamed; on lookup the image hash is checked so a truncated or
// tampered entry is rebuilt, never booted.
import { readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hashValue, sha256File } from '../util/hash.ts';
import { readJson } from '../util/fs.ts';

export interface BuildMeta {
  schema: 1;
  key: string;
  sourceIdentity: string;
  kernelVersion: string;
  /** uname -r of the built kernel (include/config/kernel.release). */
  release: string;
  arch: string;
  variant: string;
  patches: { path: string; sha256: string; subjects: (string | null)[] }[];
  fragments: { name: string; sha256: string }[];
  configSha256: string;
  compiler: string;
  imageFile: string;
  imageSha256: string;
  builtAt: string;
  durationMs: number;
  /** Built from an object dir that already held another variant's build. */
  incremental: boolean;
  compiledObjects: string[];
  missingOptional: { name: string; wanted: string; got: string | null; fragment: string }[];
}

export interface CacheKeyInput {
  sourceIdentity: string;
  patchSha256s: string[];
  fragments: { name: string; text: string }[];
  arch: string;
  makeTarget: string;
  compiler: string;
}

export const BUILD_RECIPE_VERSION = 1;

export function buildKey(input: CacheKeyInput): string {
  return hashValue({ recipe: BUILD_RECIPE_VERSION, ...input }).slice(0, 24);
}

export function entryDir(cacheDir: string, arch: string, key: string): string {
  return join(cacheDir, 'builds', arch, key);
}

export type LookupResult =
  | { state: 'hit'; meta: BuildMeta; dir: string }
  | { state: 'miss' }
  | { state: 'corrupt'; reason: string };

export async function lookupBuild(cacheDir: string, arch: string, key: string): Promise<LookupResult> {
  const dir = entryDir(cacheDir, arch, key);
  if (!existsSync(dir)) return { state: 'miss' };
  const meta = await readJson<BuildMeta>(join(dir, 'meta.json'));
  if (!meta || meta.schema !== 1 || meta.key !== key) return { state: 'corrupt', reason: 'meta.json missing or unreadable' };
  const image = join(dir, meta.imageFile);
  if (!existsSync(image)) return { state: 'corrupt', reason: `${meta.imageFile} missing` };
  const actual = await sha256File(image);
  if (actual !== meta.imageSha256) return { state: 'corrupt', reason: `${meta.imageFile} hash ${actual.slice(0, 12)} != recorded ${meta.imageSha256.slice(0, 12)} (truncated or modified)` };
  return { state: 'hit', meta, dir };
}

export async function removeEntry(cacheDir: string, arch: string, key: string): Promise<void> {
  await rm(entryDir(cacheDir, arch, key), { recursive: true, force: true });
}

export interface CacheEntryInfo {
  arch: string;
  key: string;
  dir: string;
  meta: BuildMeta | null;
  sizeBytes: number;
  mtimeMs: number;
}

/**
 * Every finished entry (temp dirs and lock dirs are not entries). Anything
 * else found there (a stray file, an unreadable dir) is skipped and reported
 * through `warn`, never fatal: listing must work on a messy cache.
 */
export async function listEntries(cacheDir: string, warn: (text: string) => void = () => {}): Promise<CacheEntryInfo[]> {
  const root = join(cacheDir, 'builds');
  const out: CacheEntryInfo[] = [];
  if (!existsSync(root)) return out;
  const ours = (name: string) => name.startsWith('.') || name.endsWith('.lock');
  for (const arch of await readdir(root, { withFileTypes: true })) {
    if (ours(arch.name)) continue;
    const archDir = join(root, arch.name);
    if (!arch.isDirectory()) {
      warn(`skipping ${archDir}: not a directory (the cache holds builds/<arch>/<key>/)`);
      continue;
    }
    for (const key of await readdir(archDir, { withFileTypes: true })) {
      if (ours(key.name)) continue;
      const dir = join(archDir, key.name);
      if (!key.isDirectory()) {
        warn(`skipping ${dir}: not a directory (not a build entry)`);
        continue;
      }
      try {
        let size = 0;
        for (const f of await readdir(dir)) size += (await stat(join(dir, f))).size;
        out.push({ arch: arch.name, key: key.name, dir, meta: await readJson<BuildMeta>(join(dir, 'meta.json')), sizeBytes: size, mtimeMs: (await stat(dir)).mtimeMs });
      } catch (err) {
        warn(`skipping ${dir}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}
