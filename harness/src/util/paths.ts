// Where things live. The cache dir holds sources, build trees and images;
// KVMATRIX_CACHE_DIR moves it (e.g. onto a CI cache volume).
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const configsDir = join(repoRoot, 'configs');
export const guestDir = join(repoRoot, 'guest');

export function cacheDir(): string {
  return resolve(process.env.KVMATRIX_CACHE_DIR ?? join(repoRoot, 'kernels'));
}

export function resultsRoot(): string {
  return resolve(process.env.KVMATRIX_RESULTS_DIR ?? join(repoRoot, 'results'));
}
