#!/usr/bin/env node
// Entry point. Plain JavaScript on purpose: it must run before node_modules
// exists. It makes sure dependencies match package-lock.json (npm ci when
// missing or stale), then loads the TypeScript CLI through tsx.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.kvmatrix-lock-sha256');

function ensureNodeModules() {
  if (!existsSync(lock)) return;
  const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (have === want && existsSync(join(root, 'node_modules', 'tsx'))) return;
  process.stderr.write(`kvmatrix: node_modules ${have ? 'is stale' : 'is missing'}; running npm ci\n`);
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('kvmatrix: npm ci failed (see above); fix it and rerun\n');
    process.exit(69);
  }
  writeFileSync(stamp, `${want}\n`);
}

ensureNodeModules();
const { register } = await import('tsx/esm/api');
register();
const { main } = await import(pathToFileURL(join(root, 'harness', 'src', 'cli', 'main.ts')).href);
process.exitCode = await main(process.argv.slice(2));
