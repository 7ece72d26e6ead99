// Fixtures for the source-provider tests: a tiny kernel-like tree, archives
// of it, hand-built hostile archives and a Range-aware HTTP server on
// 127.0.0.1.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, connect } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { run } from '../../../src/exec/run.ts';
import type { Ctx } from '../../../src/stage.ts';
import type { ProgressEvent } from '../../../src/progress.ts';

export const MAKEFILE = 'VERSION = 6\nPATCHLEVEL = 9\nSUBLEVEL = 1\nEXTRAVERSION =\nNAME = Test Kernel\n';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `kvmatrix-${prefix}-`));
}

export interface TestCtx extends Ctx {
  events: ProgressEvent[];
}

export function testCtx(cacheDir: string): TestCtx {
  const events: ProgressEvent[] = [];
  return { cacheDir, events, report: (e) => events.push(e) };
}

/** Names in a directory, or [] if it does not exist. */
export async function ls(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

/** A kernel-like tree `<root>/<top>/` with a Makefile, sources, a script, a random blob and a relative symlink. */
export async function makeKernelTree(root: string, top: string): Promise<void> {
  const dir = join(root, top);
  await mkdir(join(dir, 'kernel'), { recursive: true });
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await mkdir(join(dir, 'include', 'linux'), { recursive: true });
  await writeFile(join(dir, 'Makefile'), MAKEFILE);
  await writeFile(join(dir, 'kernel', 'fork.c'), 'int nr_threads;\n');
  await writeFile(join(dir, 'scripts', 'setlocalversion'), '#!/bin/sh\necho\n');
  await chmod(join(dir, 'scripts', 'setlocalversion'), 0o755);
  // Incompressible, so the .tar.xz is big enough to resume half-way through.
  await writeFile(join(dir, 'include', 'linux', 'blob.bin'), randomBytes(256 * 1024));
  await symlink('../kernel', join(dir, 'include', 'kernel-link'));
}

export interface Archives {
  dir: string;
  xz: string;
  gz: string;
}

/** `linux-6.9.1.tar.xz` (made with the system xz) and `.tar.gz` (made by the tar package) of a kernel-like tree. */
export async function makeKernelArchives(): Promise<Archives> {
  const dir = await tempDir('fixture');
  const src = join(dir, 'src');
  await makeKernelTree(src, 'linux-6.9.1');
  const plain = join(dir, 'linux-6.9.1.tar');
  await tar.c({ file: plain, cwd: src, portable: true }, ['linux-6.9.1']);
  const gz = join(dir, 'linux-6.9.1.tar.gz');
  await tar.c({ file: gz, cwd: src, portable: true, gzip: true }, ['linux-6.9.1']);
  const r = await run('xz', ['-z', '-k', '-T1', plain]);
  if (r.exitCode !== 0) throw new Error(`xz failed: ${r.stderr}`);
  return { dir, xz: `${plain}.xz`, gz };
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  body?: string;
  linkpath?: string;
}

/** A tar built header by header, so it can hold what well-behaved tools refuse to write. */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'File';
    const body = Buffer.from(e.body ?? '');
    const size = type === 'File' ? body.length : 0;
    const h = new tar.Header({ path: e.path, mode: type === 'Directory' ? 0o755 : 0o644, size, type, linkpath: e.linkpath, mtime: new Date(0), uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (size > 0) blocks.push(body, Buffer.alloc((512 - (size % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function rawTarGz(entries: RawEntry[]): Buffer {
  return gzipSync(rawTar(entries));
}

export type Route =
  | { kind: 'file'; body: Buffer }
  /** 200 with the whole body, ignoring Range. */
  | { kind: 'norange'; body: Buffer }
  /** Announces the full length, sends half, closes the connection. */
  | { kind: 'truncate'; body: Buffer }
  /** Announces the full length, sends a little, then goes silent. */
  | { kind: 'stall'; body: Buffer }
  | { kind: 'status'; status: number };

export interface LoggedRequest {
  path: string;
  range?: string;
  status?: number;
}

export interface TestServer {
  server: Server;
  base: string;
  routes: Map<string, Route>;
  log: LoggedRequest[];
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const log: LoggedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry: LoggedRequest = { path, range: req.headers.range };
    log.push(entry);
    const route = routes.get(path);
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (!route) return send(404, { 'content-type': 'text/plain' }, Buffer.from('not found\n'));
    switch (route.kind) {
      case 'status':
        return send(route.status, { 'content-type': 'text/plain' }, Buffer.from('nope\n'));
      case 'norange':
        return send(200, { 'content-length': route.body.length }, route.body);
      case 'file': {
        const len = route.body.length;
        const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        if (!m) return send(200, { 'content-length': len, 'accept-ranges': 'bytes' }, route.body);
        const start = Number(m[1]);
        if (start >= len) return send(416, { 'content-range': `bytes */${len}` });
        return send(206, { 'content-length': len - start, 'content-range': `bytes ${start}-${len - 1}/${len}` }, route.body.subarray(start));
      }
      case 'truncate':
        entry.status = 200;
        res.writeHead(200, { 'content-length': route.body.length });
        res.write(route.body.subarray(0, Math.floor(route.body.length / 2)), () => setTimeout(() => req.socket.destroy(), 20));
        return;
      case 'stall':
        entry.status = 200;
        res.writeHead(200, { 'content-length': route.body.length });
        res.write(route.body.subarray(0, 4096));
        return; // and nothing more, until the client gives up
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    server,
    base: `http://127.0.0.1:${address.port}`,
    routes,
    log,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return address.port;
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sha256sumsAsc(lines: [string, string][]): string {
  return [
    '-----BEGIN PGP SIGNED MESSAGE-----',
    'Hash: SHA256',
    '',
    '# This file is signed (not really, in this test).',
    ...lines.map(([hash, name]) => `${hash}  ${name}`),
    '-----BEGIN PGP SIGNATURE-----',
    '',
    'iQIzBAEBCAAdFiEEZH8oZUiU471FcZm+ONu9yGCSaT4FAmVFAKEACgkQONu9yGCS',
    '-----END PGP SIGNATURE-----',
    '',
  ].join('\n');
}
