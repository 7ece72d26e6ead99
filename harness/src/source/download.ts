// Downloads into the cache: streamed to `<dest>.part`, resumable with an HTTP
// Range request, verified against a sha256 and only then renamed to `<dest>`.
// A `.part` is never mistaken for a complete file: completeness is the byte
// count the server announced, and correctness is the checksum.
// `file://` URLs go through the same path (read from disk, same verification).
import { appendFileSync, createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { InfraError, KvmatrixError, UserError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import { sha256File } from '../util/hash.ts';

/** Timeouts and retry policy. Mutable so tests can shorten them. */
export const downloadTuning = {
  connectTimeoutMs: 30_000,
  /** Time to the response headers. */
  headersTimeoutMs: 30_000,
  /** Longest silence between two body chunks. */
  bodyIdleTimeoutMs: 60_000,
  /** Minimum interval between progress lines. */
  progressIntervalMs: 2_000,
  /** Attempts per download; a retry resumes and happens only if the failed attempt made progress. */
  attempts: 3,
  retryDelayMs: 1_000,
};

/** Where the expected checksum came from (decides whose fault a mismatch is). */
export type ChecksumOrigin = 'config' | 'sha256sums.asc' | 'cache index';

export interface VerifiedDownloadOptions {
  ctx: Ctx;
  url: string;
  /** Final path; the transfer goes to `${dest}.part`. */
  dest: string;
  sha256: string;
  checksumOrigin: ChecksumOrigin;
  logPath?: string;
}

const MiB = 1024 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 * MiB) return `${(n / (1024 * MiB)).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function logLine(logPath: string | undefined, text: string): void {
  if (!logPath) return;
  mkdirSync(dirname(logPath), { recursive: true });
  appendFileSync(logPath, `${text}\n`);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : '';
  const code = errorCodes(err)[0];
  return `${err.message}${cause}${code && !err.message.includes(code) ? ` [${code}]` : ''}`;
}

function isAbort(err: unknown): boolean {
  return (err instanceof Error && err.name === 'AbortError') || errorCodes(err).some((c) => c === 'ABORT_ERR' || c === 'UND_ERR_ABORTED' || c === 'UND_ERR_ABORT');
}

function abortedError(url: string, err: unknown): InfraError {
  return new InfraError('DOWNLOAD_ABORTED', `download of ${url} was interrupted`, { stage: 'source', cause: err, hint: 'rerun; the partial download is kept and resumed' });
}

/** An error raised before any response arrived. */
function requestError(url: string, err: unknown): KvmatrixError {
  if (err instanceof KvmatrixError) return err;
  if (isAbort(err)) return abortedError(url, err);
  if (errorCodes(err).includes('UND_ERR_HEADERS_TIMEOUT')) {
    return new InfraError('DOWNLOAD_TIMEOUT', `no response from ${url} within ${downloadTuning.headersTimeoutMs / 1000} s`, { stage: 'source', cause: err });
  }
  return new InfraError('DOWNLOAD_CONNECT_FAILED', `cannot connect to ${url}: ${errorText(err)}`, {
    stage: 'source', cause: err, hint: 'check the URL, the network and any proxy settings (HTTP_PROXY/HTTPS_PROXY/NO_PROXY)',
  });
}

/** An error raised while the body was streaming into the .part file. */
function bodyError(url: string, part: string, err: unknown): KvmatrixError {
  if (err instanceof KvmatrixError) return err;
  if (isAbort(err)) return abortedError(url, err);
  const syscall = (err as { syscall?: unknown } | null)?.syscall;
  if (syscall === 'write' || syscall === 'open') {
    return new InfraError('DOWNLOAD_WRITE_FAILED', `cannot write ${part}: ${errorText(err)}`, { stage: 'source', cause: err });
  }
  if (errorCodes(err).includes('UND_ERR_BODY_TIMEOUT')) {
    return new InfraError('DOWNLOAD_TIMEOUT', `${url} stalled: no data for ${downloadTuning.bodyIdleTimeoutMs / 1000} s`, {
      stage: 'source', cause: err, hint: 'rerun to resume the download',
    });
  }
  return truncatedError(url, part, `connection lost: ${errorText(err)}`, err);
}

function truncatedError(url: string, part: string, detail: string, cause?: unknown): InfraError {
  return new InfraError('DOWNLOAD_TRUNCATED', `download of ${url} ended early (${detail})`, {
    stage: 'source', cause, hint: `rerun to resume from ${part}`,
  });
}

function httpError(url: string, status: number): KvmatrixError {
  const message = `HTTP ${status} for ${url}`;
  // A missing file is almost always a wrong URL in the config.
  if (status === 404 || status === 410) return new UserError('DOWNLOAD_HTTP_ERROR', message, { stage: 'source', hint: 'check the url in the matrix config' });
  return new InfraError('DOWNLOAD_HTTP_ERROR', message, { stage: 'source' });
}

function newDispatcher(): { dispatcher: Dispatcher; close: () => Promise<void> } {
  // Honors HTTP_PROXY/HTTPS_PROXY/NO_PROXY; otherwise a plain Agent.
  const agent = new EnvHttpProxyAgent({
    headersTimeout: downloadTuning.headersTimeoutMs,
    bodyTimeout: downloadTuning.bodyIdleTimeoutMs,
    connect: { timeout: downloadTuning.connectTimeoutMs },
  });
  return {
    dispatcher: agent.compose(interceptors.redirect({ maxRedirections: 5 })),
    close: () => agent.close().catch(() => undefined),
  };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// "bytes 100-199/1000" -> {start: 100, total: 1000}; "bytes */1000" -> {total: 1000}.
export function parseContentRange(value: string | undefined): { start?: number; total?: number } | null {
  if (!value) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[3] === '*' || m[3] === undefined ? undefined : Number(m[3]) };
}

class ProgressMeter {
  private lastReport = Date.now();
  private readonly started = Date.now();
  private received = 0;

  constructor(private readonly ctx: Ctx, private readonly label: string, private readonly offset: number, private readonly total: number | undefined) {}

  add(n: number): void {
    this.received += n;
    const now = Date.now();
    if (now - this.lastReport >= downloadTuning.progressIntervalMs) {
      this.lastReport = now;
      this.ctx.report({ kind: 'info', cell: this.ctx.cell, stage: 'source', text: this.line(now) });
    }
  }

  get receivedBytes(): number {
    return this.received;
  }

  line(now = Date.now()): string {
    const have = this.offset + this.received;
    const rate = this.received / Math.max((now - this.started) / 1000, 0.001);
    const of = this.total ? ` / ${formatBytes(this.total)} (${Math.floor((have / this.total) * 100)}%)` : '';
    return `${this.label}: ${formatBytes(have)}${of} at ${formatBytes(rate)}/s`;
  }
}

type AttemptOutcome = 'complete' | 'restart';

/** How a response body goes into the .part: appended at `start` (a resume) or written from 0. */
interface PartWrite {
  flags: 'a' | 'w';
  start: number;
  /** The whole file's size, when the server said it. */
  total: number | undefined;
}

/** One transfer attempt into `part`, appending when the server honours the Range. */
async function transferOnce(ctx: Ctx, url: URL, part: string, label: string, logPath: string | undefined): Promise<AttemptOutcome> {
  const offset = await sizeOf(part);
  if (url.protocol === 'file:') return copyFromFile(ctx, url, part, label, offset);

  const { dispatcher, close } = newDispatcher();
  try {
    const headers: Record<string, string> = { 'user-agent': 'kvmatrix', 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher, signal: ctx.signal });
    } catch (err) {
      throw requestError(url.href, err);
    }
    const write = await partWriteFor(res, url.href, part, offset, logPath);
    if (typeof write === 'string') return write;
    if (write.start > 0) ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `${label}: resuming at ${formatBytes(write.start)}` });
    await streamToPart(res.body, url.href, part, write.flags, new ProgressMeter(ctx, label, write.start, write.total));
    await checkComplete(url.href, part, write.total);
    return 'complete';
  } finally {
    await close();
  }
}

/**
 * What the server's answer means for the .part (the answer is logged first):
 * how to write its body, or an outcome with no body to write ('complete': the
 * .part already holds the whole file; 'restart': the .part did not fit the
 * server's file and was deleted). Any other status is an HTTP error.
 */
async function partWriteFor(res: Dispatcher.ResponseData, url: string, part: string, offset: number, logPath: string | undefined): Promise<PartWrite | AttemptOutcome> {
  const status = res.statusCode;
  const contentLength = header(res.headers, 'content-length');
  const length = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  const range = parseContentRange(header(res.headers, 'content-range'));
  logLine(logPath, `GET ${url}${offset > 0 ? ` (Range: bytes=${offset}-)` : ''} -> ${status}${length !== undefined ? `, ${length} bytes` : ''}`);

  if (status === 416 && offset > 0) {
    await res.body.dump();
    // The .part already holds everything (or more than the file has).
    if (range?.total === offset) return 'complete';
    await rm(part, { force: true });
    return 'restart';
  }
  if (status === 206 && offset > 0) {
    if (range?.start !== offset) {
      await res.body.dump();
      await rm(part, { force: true });
      return 'restart';
    }
    return { flags: 'a', start: offset, total: range.total ?? (length === undefined ? undefined : offset + length) };
  }
  // Server ignored the Range (or there was no .part): start over.
  if (status === 200) return { flags: 'w', start: 0, total: length };
  await res.body.dump().catch(() => undefined);
  throw httpError(url, status);
}

/** Stream `source` into the .part, counting bytes for the progress lines; a failure is classified by bodyError. */
async function streamToPart(source: Readable, url: string, part: string, flags: 'a' | 'w', meter: ProgressMeter): Promise<void> {
  try {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          meter.add(chunk.length);
          yield chunk;
        }
      },
      createWriteStream(part, { flags }),
    );
  } catch (err) {
    throw bodyError(url, part, err);
  }
}

async function copyFromFile(ctx: Ctx, url: URL, part: string, label: string, offset: number): Promise<AttemptOutcome> {
  const src = fileURLToPath(url);
  let total: number;
  try {
    total = (await stat(src)).size;
  } catch (err) {
    throw new UserError('DOWNLOAD_FILE_NOT_FOUND', `${src} (from ${url.href}) cannot be read: ${errorText(err)}`, { stage: 'source', cause: err });
  }
  if (offset > total) {
    await rm(part, { force: true });
    return 'restart';
  }
  const meter = new ProgressMeter(ctx, label, offset, total);
  await streamToPart(createReadStream(src, { start: offset }), url.href, part, offset > 0 ? 'a' : 'w', meter);
  await checkComplete(url.href, part, total);
  return 'complete';
}

async function checkComplete(url: string, part: string, total: number | undefined): Promise<void> {
  if (total === undefined) return; // no announced length: the checksum decides
  const have = await sizeOf(part);
  if (have < total) throw truncatedError(url, part, `got ${have} of ${total} bytes`);
  if (have > total) {
    await rm(part, { force: true });
    throw new InfraError('DOWNLOAD_SIZE_MISMATCH', `${url}: got ${have} bytes but the server announced ${total}; the partial file was discarded`, { stage: 'source', hint: 'rerun' });
  }
}

const retryable = new Set(['DOWNLOAD_TRUNCATED', 'DOWNLOAD_TIMEOUT']);

/** Bring `part` to the complete file, resuming and retrying (only while making progress). */
async function downloadToPart(ctx: Ctx, url: URL, part: string, label: string, logPath: string | undefined): Promise<void> {
  let restarts = 0;
  for (let attempt = 1; ; attempt++) {
    const before = await sizeOf(part);
    let outcome: AttemptOutcome;
    try {
      outcome = await transferOnce(ctx, url, part, label, logPath);
    } catch (err) {
      const progressed = (await sizeOf(part)) > before;
      if (err instanceof KvmatrixError && retryable.has(err.code) && progressed && attempt < downloadTuning.attempts && !ctx.signal?.aborted) {
        logLine(logPath, `attempt ${attempt} failed: ${err.message}; retrying`);
        ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `${label}: ${err.message}; retrying` });
        await new Promise((r) => setTimeout(r, downloadTuning.retryDelayMs * attempt));
        continue;
      }
      throw err;
    }
    if (outcome === 'complete') return;
    // 'restart': the .part did not fit the server's file and was deleted.
    if (++restarts > 2) throw new InfraError('DOWNLOAD_RANGE_FAILED', `${url.href}: the server keeps rejecting resumed downloads`, { stage: 'source' });
    attempt--;
  }
}

/**
 * Make `opts.dest` exist with the given sha256, downloading if needed.
 * A checksum mismatch deletes the .part (nothing is cached); a broken
 * connection keeps it so the next run resumes.
 */
export async function downloadVerified(opts: VerifiedDownloadOptions): Promise<void> {
  const { ctx, dest, logPath } = opts;
  const expected = opts.sha256.toLowerCase();
  const url = new URL(opts.url);
  const label = basename(dest);
  if ((await sizeOf(dest)) > 0) {
    if ((await sha256File(dest)) === expected) return;
    await rm(dest, { force: true });
  }
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const had = await sizeOf(part);
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `downloading ${url.href}${had > 0 ? ` (have ${formatBytes(had)} from an earlier attempt)` : ''}` });
  const started = Date.now();
  await downloadToPart(ctx, url, part, label, logPath);
  const actual = await sha256File(part);
  if (actual !== expected) {
    await rm(part, { force: true });
    const message = `checksum mismatch for ${url.href}: expected sha256 ${expected} (from ${opts.checksumOrigin}), got ${actual}; the download was discarded`;
    logLine(logPath, message);
    // A wrong hash in the config is the user's to fix; a file that disagrees
    // with the publisher's own checksum list is a broken mirror or transfer.
    throw opts.checksumOrigin === 'config'
      ? new UserError('DOWNLOAD_CHECKSUM_MISMATCH', message, { stage: 'source', logPath, hint: 'check the sha256 in the matrix config; if it is right, rerun (the download was corrupted)' })
      : new InfraError('DOWNLOAD_CHECKSUM_MISMATCH', message, { stage: 'source', logPath, hint: 'rerun; if it persists the mirror is serving a bad file' });
  }
  await rename(part, dest);
  const size = await sizeOf(dest);
  logLine(logPath, `verified ${dest}: sha256 ${actual}, ${size} bytes`);
  ctx.report({ kind: 'info', cell: ctx.cell, stage: 'source', text: `downloaded ${label} (${formatBytes(size)} in ${((Date.now() - started) / 1000).toFixed(1)} s), sha256 verified` });
}

/**
 * A small text file (a checksum list), or null when it does not exist
 * (HTTP 404/410, missing file). Other failures throw.
 */
export async function fetchSmallText(ctx: Ctx, urlText: string, logPath?: string, maxBytes = 4 * MiB): Promise<string | null> {
  const url = new URL(urlText);
  if (url.protocol === 'file:') {
    try {
      const data = await readFile(fileURLToPath(url));
      return data.subarray(0, maxBytes).toString('utf8');
    } catch (err) {
      if (errorCodes(err).includes('ENOENT')) return null;
      throw new InfraError('DOWNLOAD_FILE_NOT_FOUND', `cannot read ${url.href}: ${errorText(err)}`, { stage: 'source', cause: err });
    }
  }
  const { dispatcher, close } = newDispatcher();
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers: { 'user-agent': 'kvmatrix' }, dispatcher, signal: ctx.signal });
    } catch (err) {
      throw requestError(url.href, err);
    }
    logLine(logPath, `GET ${url.href} -> ${res.statusCode}`);
    if (res.statusCode === 404 || res.statusCode === 410) {
      await res.body.dump().catch(() => undefined);
      return null;
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw httpError(url.href, res.statusCode);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new InfraError('DOWNLOAD_TOO_LARGE', `${url.href} is larger than ${formatBytes(maxBytes)}`, { stage: 'source' });
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw bodyError(url.href, '(memory)', err);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await close();
  }
}
