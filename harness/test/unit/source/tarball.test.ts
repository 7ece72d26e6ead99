import assert from 'node:assert/strict';
import { readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { tarballProvider, parseTarballUrl, parseSha256Sums } from '../../../src/source/tarball.ts';
import { downloadTuning } from '../../../src/source/download.ts';
import { KvmatrixError } from '../../../src/errors.ts';
import { sha256 } from '../../../src/util/hash.ts';
import {
  MAKEFILE, closedPort, ls, makeKernelArchives, rawTarGz, sha256sumsAsc, startServer, tempDir, testCtx,
  type Archives, type TestServer,
} from './helpers.ts';

async function expectError(p: Promise<unknown>, code: string, kind?: 'user' | 'infra'): Promise<KvmatrixError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KvmatrixError, `expected a KvmatrixError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    assert.equal(err.stage, 'source');
    if (kind) assert.equal(err.kind, kind);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('tarball source provider', function () {
  this.timeout(20_000);
  let archives: Archives;
  let xz: Buffer;
  let gz: Buffer;
  let xzSha: string;
  let gzSha: string;
  let srv: TestServer;
  let cacheDir: string;
  const saved = { ...downloadTuning };

  before(async () => {
    archives = await makeKernelArchives();
    xz = await readFile(archives.xz);
    gz = await readFile(archives.gz);
    xzSha = sha256(xz);
    gzSha = sha256(gz);
    srv = await startServer();
    const r = srv.routes;
    r.set('/pub/v6.x/linux-6.9.1.tar.xz', { kind: 'file', body: xz });
    r.set('/pub/v6.x/linux-6.9.1.tar.gz', { kind: 'file', body: gz });
    r.set('/pub/v6.x/sha256sums.asc', { kind: 'file', body: Buffer.from(sha256sumsAsc([[sha256('other'), 'linux-6.9.tar.xz'], [xzSha, 'linux-6.9.1.tar.xz'], [gzSha, 'linux-6.9.1.tar.gz']])) });
    r.set('/bad/linux-6.9.1.tar.xz', { kind: 'file', body: xz });
    r.set('/bad/sha256sums.asc', { kind: 'file', body: Buffer.from(sha256sumsAsc([[sha256('something else'), 'linux-6.9.1.tar.xz']])) });
    r.set('/nosums/linux-6.9.1.tar.xz', { kind: 'file', body: xz });
    r.set('/trunc/linux-6.9.1.tar.xz', { kind: 'truncate', body: xz });
    r.set('/stall/linux-6.9.1.tar.xz', { kind: 'stall', body: xz });
    r.set('/norange/linux-6.9.1.tar.xz', { kind: 'norange', body: xz });
    r.set('/err/linux-6.9.1.tar.xz', { kind: 'status', status: 500 });
  });

  after(async () => {
    await srv.close();
    await rm(archives.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    cacheDir = await tempDir('cache');
    srv.log.length = 0;
    downloadTuning.retryDelayMs = 20;
  });

  afterEach(async () => {
    Object.assign(downloadTuning, saved);
    await rm(cacheDir, { recursive: true, force: true });
  });

  const url = (path: string) => `${srv.base}${path}`;
  const downloads = () => join(cacheDir, 'downloads');
  const sources = () => join(cacheDir, 'sources');
  /** Cache contents that count as "something was cached". */
  const cachedStuff = async () => ({
    sources: (await ls(sources())).filter((n) => !n.endsWith('.lock')),
    downloads: (await ls(downloads())).filter((n) => !n.endsWith('.part') && !n.endsWith('.lock') && n !== '.index'),
  });

  it('downloads, verifies and unpacks a .tar.xz; a second fetch is a cache hit with no HTTP request', async () => {
    const ctx = testCtx(cacheDir);
    const spec = { provider: 'tarball' as const, url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: xzSha };
    const src = await tarballProvider.fetch(ctx, spec, join(cacheDir, 'source.log'));
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(src.identity, `tarball:${spec.url}#sha256=${xzSha}`);
    assert.equal(src.tree, join(sources(), `tarball-linux-6.9.1-${xzSha.slice(0, 12)}`));
    assert.equal(await readFile(join(src.tree, 'Makefile'), 'utf8'), MAKEFILE);
    assert.equal(await readFile(join(src.tree, 'kernel', 'fork.c'), 'utf8'), 'int nr_threads;\n');
    assert.equal((await stat(join(src.tree, 'include', 'linux', 'blob.bin'))).size, 256 * 1024);
    assert.ok(((await stat(join(src.tree, 'scripts', 'setlocalversion'))).mode & 0o100) !== 0, 'executable bit kept');
    assert.equal(await readlink(join(src.tree, 'include', 'kernel-link')), '../kernel');
    assert.deepEqual(await ls(downloads()), ['linux-6.9.1.tar.xz'], 'final file only: no .part, no .tar, no lock left');
    assert.deepEqual(await ls(sources()), [basename(src.tree)]);
    assert.deepEqual(srv.log.map((l) => l.path), ['/pub/v6.x/linux-6.9.1.tar.xz']);
    assert.ok(ctx.events.some((e) => e.kind === 'info' && /downloaded linux-6\.9\.1\.tar\.xz .*sha256 verified/.test(e.text)));
    assert.match(await readFile(join(cacheDir, 'source.log'), 'utf8'), /GET .*linux-6\.9\.1\.tar\.xz -> 200/);

    srv.log.length = 0;
    const again = await tarballProvider.fetch(testCtx(cacheDir), spec, join(cacheDir, 'source.log'));
    assert.deepEqual(again, src);
    assert.equal(srv.log.length, 0, 'no HTTP request for a cached tree');
  });

  it('serializes concurrent fetches of the same tarball: one download, same result', async () => {
    const spec = { provider: 'tarball' as const, url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: xzSha };
    const [a, b] = await Promise.all([
      tarballProvider.fetch(testCtx(cacheDir), spec, join(cacheDir, 'a.log')),
      tarballProvider.fetch(testCtx(cacheDir), spec, join(cacheDir, 'b.log')),
    ]);
    assert.deepEqual(a, b);
    assert.equal(a.kernelVersion, '6.9.1');
    assert.equal(srv.log.length, 1, 'the second caller found the tree the first one made');
  });

  it('takes the sha256 from sha256sums.asc when the config has none (and remembers it)', async () => {
    const spec = { provider: 'tarball' as const, url: url('/pub/v6.x/linux-6.9.1.tar.gz') };
    const src = await tarballProvider.fetch(testCtx(cacheDir), spec, join(cacheDir, 'source.log'));
    assert.equal(src.identity, `tarball:${spec.url}#sha256=${gzSha}`);
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(await readFile(join(src.tree, 'Makefile'), 'utf8'), MAKEFILE);
    assert.deepEqual(srv.log.map((l) => l.path), ['/pub/v6.x/sha256sums.asc', '/pub/v6.x/linux-6.9.1.tar.gz']);

    srv.log.length = 0;
    const again = await tarballProvider.fetch(testCtx(cacheDir), spec, join(cacheDir, 'source.log'));
    assert.equal(again.identity, src.identity);
    assert.equal(srv.log.length, 0, 'the verified sha256 is remembered: no request at all');
  });

  it('refuses a download whose sha256 differs from the config, caching nothing', async () => {
    const wrong = sha256('not the tarball');
    const err = await expectError(
      tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: wrong }, join(cacheDir, 'source.log')),
      'DOWNLOAD_CHECKSUM_MISMATCH', 'user',
    );
    assert.ok(err.message.includes(wrong) && err.message.includes(xzSha), 'names expected and actual');
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
    assert.equal(existsSync(join(downloads(), 'linux-6.9.1.tar.xz.part')), false, 'the bad .part is deleted');
  });

  it('refuses a download that disagrees with sha256sums.asc (infra error), caching nothing', async () => {
    const err = await expectError(
      tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/bad/linux-6.9.1.tar.xz') }, join(cacheDir, 'source.log')),
      'DOWNLOAD_CHECKSUM_MISMATCH', 'infra',
    );
    assert.ok(err.message.includes(sha256('something else')) && err.message.includes(xzSha));
    assert.match(err.message, /sha256sums\.asc/);
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
    assert.deepEqual(await ls(join(downloads(), '.index')), [], 'nothing remembered');
  });

  it('fails with SOURCE_NO_CHECKSUM (and a hint) when neither the config nor sha256sums.asc has one', async () => {
    const err = await expectError(
      tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/nosums/linux-6.9.1.tar.xz') }, join(cacheDir, 'source.log')),
      'SOURCE_NO_CHECKSUM', 'user',
    );
    assert.match(err.hint ?? '', /sha256/);
    assert.deepEqual(srv.log.map((l) => l.path), ['/nosums/sha256sums.asc'], 'the tarball itself is never requested');
  });

  it('reports a body cut short as DOWNLOAD_TRUNCATED, keeps the .part, caches nothing', async () => {
    const err = await expectError(
      tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/trunc/linux-6.9.1.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log')),
      'DOWNLOAD_TRUNCATED', 'infra',
    );
    assert.match(err.message, /trunc\/linux-6\.9\.1\.tar\.xz/);
    const part = join(downloads(), 'linux-6.9.1.tar.xz.part');
    assert.ok(existsSync(part), '.part kept for resuming');
    assert.ok((await stat(part)).size < xz.length, '.part is not complete');
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
    assert.ok(srv.log.length >= 2, 'retried once after making progress');
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(srv.log[1]?.range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt < xz.length, `the retry resumes (Range: ${srv.log[1]?.range})`);
  });

  it('resumes a .part with a Range request and appends the rest (with progress lines)', async () => {
    downloadTuning.progressIntervalMs = 0;
    await mkdir(downloads(), { recursive: true });
    const have = 100_000;
    await writeFile(join(downloads(), 'linux-6.9.1.tar.xz.part'), xz.subarray(0, have));
    const ctx = testCtx(cacheDir);
    const src = await tarballProvider.fetch(ctx, { provider: 'tarball', url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log'));
    assert.deepEqual(srv.log, [{ path: '/pub/v6.x/linux-6.9.1.tar.xz', range: `bytes=${have}-`, status: 206 }]);
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(sha256(await readFile(join(downloads(), 'linux-6.9.1.tar.xz'))), xzSha);
    const texts = ctx.events.flatMap((e) => (e.kind === 'info' ? [e.text] : []));
    assert.ok(texts.some((t) => /resuming at 97\.7 KiB/.test(t)), texts.join('\n'));
    assert.ok(texts.some((t) => /\/ \d+\.\d KiB \(\d+%\) at .*\/s$/.test(t)), 'bytes / total (percent) at rate');
  });

  it('starts over when the server ignores the Range (200 instead of 206)', async () => {
    await mkdir(downloads(), { recursive: true });
    await writeFile(join(downloads(), 'linux-6.9.1.tar.xz.part'), randomBytes(5000));
    const src = await tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/norange/linux-6.9.1.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log'));
    assert.equal(srv.log[0]?.range, 'bytes=5000-');
    assert.equal(srv.log[0]?.status, 200);
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(sha256(await readFile(join(downloads(), 'linux-6.9.1.tar.xz'))), xzSha);
  });

  it('treats a complete .part (server answers 416) as downloaded, after verifying it', async () => {
    await mkdir(downloads(), { recursive: true });
    await writeFile(join(downloads(), 'linux-6.9.1.tar.xz.part'), xz);
    const src = await tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log'));
    assert.deepEqual(srv.log.map((l) => l.status), [416]);
    assert.equal(src.kernelVersion, '6.9.1');
  });

  it('maps HTTP 500 to DOWNLOAD_HTTP_ERROR naming status and URL', async () => {
    const u = url('/err/linux-6.9.1.tar.xz');
    const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: xzSha }, join(cacheDir, 'source.log')), 'DOWNLOAD_HTTP_ERROR', 'infra');
    assert.ok(err.message.includes('500') && err.message.includes(u), err.message);
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
  });

  it('maps HTTP 404 to DOWNLOAD_HTTP_ERROR as a user error (wrong URL)', async () => {
    const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/pub/v6.x/linux-6.9.99.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log')), 'DOWNLOAD_HTTP_ERROR', 'user');
    assert.match(err.message, /HTTP 404/);
  });

  it('maps a refused connection to DOWNLOAD_CONNECT_FAILED', async () => {
    const port = await closedPort();
    const u = `http://127.0.0.1:${port}/pub/linux-6.9.1.tar.xz`;
    const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: xzSha }, join(cacheDir, 'source.log')), 'DOWNLOAD_CONNECT_FAILED', 'infra');
    assert.ok(err.message.includes(u));
    assert.match(err.message, /ECONNREFUSED/);
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
  });

  it('gives up on a stalled body after the idle timeout (DOWNLOAD_TIMEOUT), keeping the .part', async () => {
    downloadTuning.bodyIdleTimeoutMs = 300;
    const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/stall/linux-6.9.1.tar.xz'), sha256: xzSha }, join(cacheDir, 'source.log')), 'DOWNLOAD_TIMEOUT', 'infra');
    assert.match(err.message, /stalled/);
    assert.equal((await stat(join(downloads(), 'linux-6.9.1.tar.xz.part'))).size, 4096);
    assert.deepEqual(await cachedStuff(), { sources: [], downloads: [] });
  });

  it('reads file:// URLs from disk with the same verification (sha256sums.asc next to the file)', async () => {
    const mirror = await tempDir('mirror');
    try {
      await writeFile(join(mirror, 'linux-6.9.1.tar.xz'), xz);
      await writeFile(join(mirror, 'sha256sums.asc'), sha256sumsAsc([[xzSha, 'linux-6.9.1.tar.xz']]));
      const u = pathToFileURL(join(mirror, 'linux-6.9.1.tar.xz')).href;
      const src = await tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u }, join(cacheDir, 'source.log'));
      assert.equal(src.identity, `tarball:${u}#sha256=${xzSha}`);
      assert.equal(src.kernelVersion, '6.9.1');
      assert.equal(await readFile(join(src.tree, 'kernel', 'fork.c'), 'utf8'), 'int nr_threads;\n');

      // And a corrupted mirror file is refused.
      const other = await tempDir('cache');
      try {
        await writeFile(join(mirror, 'linux-6.9.1.tar.xz'), gz);
        await expectError(tarballProvider.fetch(testCtx(other), { provider: 'tarball', url: u }, join(other, 'source.log')), 'DOWNLOAD_CHECKSUM_MISMATCH');
        assert.deepEqual(await ls(join(other, 'sources')), []);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    } finally {
      await rm(mirror, { recursive: true, force: true });
    }
  });

  describe('hostile archives', () => {
    let mirror: string;
    beforeEach(async () => {
      mirror = await tempDir('mirror');
    });
    afterEach(async () => {
      await rm(mirror, { recursive: true, force: true });
    });

    async function serveHostile(name: string, entries: Parameters<typeof rawTarGz>[0]): Promise<{ url: string; sha: string }> {
      const data = rawTarGz(entries);
      await writeFile(join(mirror, name), data);
      return { url: pathToFileURL(join(mirror, name)).href, sha: sha256(data) };
    }

    const base = [
      { path: 'linux-6.9.1/', type: 'Directory' as const },
      { path: 'linux-6.9.1/Makefile', body: MAKEFILE },
    ];

    it("refuses an entry with '..' (ARCHIVE_UNSAFE_PATH), writing nothing anywhere", async () => {
      const evilName = `kvmatrix-evil-${randomBytes(4).toString('hex')}`;
      // After strip=1 this lands in the parent of the tree dir: sources/<evil>.
      // With two more '..' it would reach the cache dir's parent (the tmp dir).
      const { url: u, sha } = await serveHostile('linux-6.9.1.tar.gz', [
        ...base,
        { path: `linux-6.9.1/../${evilName}`, body: 'pwned\n' },
        { path: `linux-6.9.1/../../../${evilName}`, body: 'pwned\n' },
      ]);
      const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: sha }, join(cacheDir, 'source.log')), 'ARCHIVE_UNSAFE_PATH', 'user');
      assert.ok(err.message.includes(`linux-6.9.1/../${evilName}`), err.message);
      assert.match(err.message, /2 unsafe entries/);
      for (const dir of [sources(), downloads(), cacheDir, dirname(cacheDir), mirror]) {
        assert.ok(!(await ls(dir)).includes(evilName), `${evilName} must not appear in ${dir}`);
      }
      assert.deepEqual((await ls(sources())).filter((n) => !n.startsWith('.')), []);
      assert.deepEqual(await ls(sources()), [], 'no temp dir left behind either');
    });

    it('refuses an entry with an absolute path, writing nothing', async () => {
      const target = join(dirname(cacheDir), `kvmatrix-abs-${randomBytes(4).toString('hex')}`);
      const { url: u, sha } = await serveHostile('linux-6.9.1.tar.gz', [...base, { path: `${target}/pwned`, body: 'pwned\n' }]);
      const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: sha }, join(cacheDir, 'source.log')), 'ARCHIVE_UNSAFE_PATH', 'user');
      assert.match(err.message, /absolute path/);
      assert.equal(existsSync(target), false);
      assert.deepEqual(await ls(sources()), []);
    });

    it('refuses symlinks that lead outside the tree, directly or through another symlink', async () => {
      const { url: u, sha } = await serveHostile('linux-6.9.1.tar.gz', [
        ...base,
        { path: 'linux-6.9.1/up', type: 'SymbolicLink', linkpath: '../../..' },
        { path: 'linux-6.9.1/etc', type: 'SymbolicLink', linkpath: '/etc' },
        { path: 'linux-6.9.1/here', type: 'SymbolicLink', linkpath: '.' },
        { path: 'linux-6.9.1/sneaky', type: 'SymbolicLink', linkpath: 'here/..' },
        { path: 'linux-6.9.1/fine', type: 'SymbolicLink', linkpath: 'Makefile' },
      ]);
      const err = await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: sha }, join(cacheDir, 'source.log')), 'ARCHIVE_UNSAFE_PATH', 'user');
      assert.match(err.message, /3 unsafe entries/);
      for (const name of ['up', 'etc', 'sneaky']) assert.ok(err.message.includes(name), `${name} named`);
      assert.ok(!err.message.includes('fine'), 'a link inside the tree is fine');
      assert.deepEqual(await ls(sources()), []);
    });

    it('refuses an archive that is not a kernel tree (SOURCE_NOT_A_TREE), caching nothing', async () => {
      const { url: u, sha } = await serveHostile('linux-6.9.1.tar.gz', [{ path: 'linux-6.9.1/README', body: 'hello\n' }]);
      await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: u, sha256: sha }, join(cacheDir, 'source.log')), 'SOURCE_NOT_A_TREE', 'user');
      assert.deepEqual(await ls(sources()), []);
    });
  });

  describe('spec parsing', () => {
    it('splits a kernel.org URL into file name, name and compression', () => {
      const t = parseTarballUrl('https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.6.63.tar.xz');
      assert.deepEqual([t.fileName, t.name, t.compression], ['linux-6.6.63.tar.xz', 'linux-6.6.63', 'xz']);
      assert.equal(parseTarballUrl('file:///srv/mirror/linux-6.1.tgz').compression, 'gz');
    });

    it('rejects unsupported schemes, non-archives and path tricks in the file name', () => {
      for (const bad of ['ftp://x/linux-6.1.tar.xz', 'https://x/linux-6.1.zip', 'https://x/', 'https://x/..%2Flinux.tar.xz', 'not a url']) {
        assert.throws(() => parseTarballUrl(bad), (e: unknown) => e instanceof KvmatrixError && e.code === 'SOURCE_SPEC', bad);
      }
    });

    it('parses kernel.org sha256sums.asc lines and ignores the signature block', () => {
      const h = sha256('x');
      const text = sha256sumsAsc([[sha256('a'), 'linux-6.6.62.tar.xz'], [h, 'linux-6.6.63.tar.xz']]);
      assert.equal(parseSha256Sums(text, 'linux-6.6.63.tar.xz'), h);
      assert.equal(parseSha256Sums(text, 'linux-6.6.63.tar.gz'), null);
      assert.equal(parseSha256Sums(`${h.toUpperCase()} *linux-6.6.63.tar.xz\n`, 'linux-6.6.63.tar.xz'), h);
    });

    it('rejects a malformed sha256 in the spec', async () => {
      await expectError(tarballProvider.fetch(testCtx(cacheDir), { provider: 'tarball', url: url('/pub/v6.x/linux-6.9.1.tar.xz'), sha256: 'abc' }, join(cacheDir, 'source.log')), 'SOURCE_SPEC', 'user');
      assert.equal(srv.log.length, 0);
    });
  });
});
