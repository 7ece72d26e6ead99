// The debian provider with a suite, end to end and offline: a real signed
// repository on disk (file: mirror, throwaway key), real apt with private
// state, real dpkg-deb and tar. Only the archive configuration is injected.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedSuiteVersions, fetchSuiteSource, hostSuiteFacts, parseAptPolicy, suiteSourceIdentity, suiteTreeName } from '../../../src/source/debian.ts';
import type { DebianArchive } from '../../../src/source/debian-archive.ts';
import { KvmatrixError } from '../../../src/errors.ts';
import { makeKernelArchives, tempDir, testCtx, type Archives } from './helpers.ts';
import { corruptPoolFile, makeSignedRepo, signedRepoUnavailable, type SignedRepo } from '../apt/helpers.ts';

describe('debian provider: names', () => {
  it('puts suite, package, version and the .deb\'s sha256 in the identity', () => {
    assert.equal(suiteSourceIdentity('trixie', 'linux-source-6.12', '6.12.117-1', 'ab'.repeat(32)),
      `debian:trixie:linux-source-6.12=6.12.117-1#sha256=${'ab'.repeat(32)}`);
  });
  it('names the unpacked tree by suite, package and a file-safe version', () => {
    assert.equal(suiteTreeName('bookworm-backports', 'linux-source-6.12', '1:6.12.95-1~bpo12+1'), 'debian-bookworm-backports-linux-source-6.12-1_6.12.95-1_bpo12+1');
  });
  it('re-exports the host apt policy parser ("(none)" is absent)', () => {
    assert.deepEqual(parseAptPolicy('linux-source-6.12:\n  Installed: (none)\n  Candidate: 6.12.38-1~bpo12+1\n  Version table:\n     6.12.38-1~bpo12+1 100\n        100 http://deb.debian.org/debian bookworm-backports/main amd64 Packages\n'),
      { installed: null, candidate: '6.12.38-1~bpo12+1', versions: ['6.12.38-1~bpo12+1'] });
  });
});

describe('debian provider: a suite from a signed repository (offline)', function () {
  this.timeout(120_000);
  let archives: Archives;
  let repo: SignedRepo;
  let cache: string;

  const archiveOf = (r: SignedRepo, keyring = r.keyring): DebianArchive => ({
    file: '/test/debian-archive.yaml', keyring, architecture: 'amd64',
    mirrors: { test: { url: r.url } },
    suites: [{ name: r.suite, mirror: 'test', components: ['main'] }],
  });
  const spec = (version?: string, pkg = 'linux-source-6.9') => ({ provider: 'debian' as const, package: pkg, suite: 'kvtest', ...(version ? { version } : {}) });
  const texts = (ctx: ReturnType<typeof testCtx>) => ctx.events.flatMap((e) => (e.kind === 'info' || e.kind === 'warn' ? [e.text] : []));

  before(async function () {
    const why = await signedRepoUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    archives = await makeKernelArchives();
    const files = { 'usr/src/linux-source-6.9.tar.xz': archives.xz };
    repo = await makeSignedRepo('kvtest', [
      { package: 'linux-source-6.9', version: '6.9.1-1', files },
      { package: 'linux-source-6.9', version: '6.9.1-2', files },
      { package: 'hello', version: '1.0-1', files: {} },
    ]);
  });
  after(async () => {
    await repo?.close();
    if (archives) await rm(archives.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    cache = await tempDir('debcache');
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it('downloads the candidate, checks it against the signed index, unpacks it once, records it', async () => {
    const ctx = testCtx(cache);
    const src = await fetchSuiteSource(ctx, spec(), join(cache, 'source.log'), archiveOf(repo));
    const deb = repo.debs.get('linux-source-6.9=6.9.1-2');
    assert.equal(src.identity, `debian:kvtest:linux-source-6.9=6.9.1-2#sha256=${deb?.sha256}`);
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(src.tree, join(cache, 'sources', 'debian-kvtest-linux-source-6.9-6.9.1-2'));
    assert.ok(existsSync(join(src.tree, 'kernel', 'fork.c')));
    const record = JSON.parse(readFileSync(`${src.tree}.json`, 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...record, url: undefined, size: undefined }, {
      suite: 'kvtest', package: 'linux-source-6.9', version: '6.9.1-2', sha256: deb?.sha256, fileName: 'linux-source-6.9_6.9.1-2_all.deb', url: undefined, size: undefined,
    });
    assert.deepEqual(readdirSync(join(cache, 'downloads', 'debian', 'kvtest')), ['linux-source-6.9_6.9.1-2_all.deb']);
    assert.ok(readFileSync(join(cache, 'apt', 'suite-kvtest', 'sources.list'), 'utf8').includes(`deb [signed-by=${repo.keyring}] ${repo.url} kvtest main`));
    assert.ok(texts(ctx).some((t) => /^downloaded linux-source-6\.9_6\.9\.1-2_all\.deb .*as in the signed index/.test(t)), texts(ctx).join('\n'));

    // Again: the lists are fresh and the tree is there, so nothing is fetched or unpacked.
    const again = testCtx(cache);
    assert.deepEqual(await fetchSuiteSource(again, spec(), join(cache, 'source.log'), archiveOf(repo)), src);
    assert.deepEqual(texts(again), []);
    assert.deepEqual(await cachedSuiteVersions(cache, 'kvtest'), ['linux-source-6.9=6.9.1-2']);
  });

  it('takes a pinned version, and keeps serving it from the cache once the mirror is gone', async () => {
    const first = await fetchSuiteSource(testCtx(cache), spec('6.9.1-1'), join(cache, 'source.log'), archiveOf(repo));
    assert.match(first.identity, /^debian:kvtest:linux-source-6\.9=6\.9\.1-1#sha256=[0-9a-f]{64}$/);
    const gone = { ...archiveOf(repo), mirrors: { test: { url: 'http://127.0.0.1:9/debian' } } };
    assert.deepEqual(await fetchSuiteSource(testCtx(cache), spec('6.9.1-1'), join(cache, 'source.log'), gone), first);
  });

  it('refuses a package or version the suite does not have, listing what it offers', async () => {
    await assert.rejects(fetchSuiteSource(testCtx(cache), spec(undefined, 'linux-source-6.8'), join(cache, 'source.log'), archiveOf(repo)), (err: KvmatrixError) => {
      assert.equal(err.code, 'SOURCE_UNKNOWN_PACKAGE');
      assert.equal(err.kind, 'user');
      assert.equal(err.message, 'kvtest has no linux-source-6.8. Available in kvtest: linux-source-6.9 6.9.1-2');
      return true;
    });
    await assert.rejects(fetchSuiteSource(testCtx(cache), spec('6.9.0-1'), join(cache, 'source.log'), archiveOf(repo)), (err: KvmatrixError) => {
      assert.equal(err.code, 'SOURCE_VERSION');
      assert.equal(err.message, 'kvtest does not offer linux-source-6.9 6.9.0-1. Available in kvtest: linux-source-6.9 6.9.1-2, 6.9.1-1');
      return true;
    });
  });

  it('gives the plan check what the suite offers and what the cache holds', async () => {
    assert.deepEqual(await hostSuiteFacts(cache, archiveOf(repo), 'kvtest'), {
      packages: [{ name: 'linux-source-6.9', candidate: '6.9.1-2', versions: ['6.9.1-2', '6.9.1-1'] }], cached: [],
    });
    // (A file: mirror that is gone fails at once; an unreachable http one only after apt's retries.)
    const gone = { ...archiveOf(repo), mirrors: { test: { url: `file:${join(repo.dir, 'gone')}` } } };
    const down = await hostSuiteFacts(join(cache, 'empty'), gone, 'kvtest');
    assert.deepEqual(down.packages, []);
    assert.equal(down.unavailable, `file:${join(repo.dir, 'gone')} kvtest has no Release file`);
  });

  it('fails with APT_SIGNATURE_INVALID when the keyring cannot verify the suite, fetching nothing', async () => {
    await assert.rejects(fetchSuiteSource(testCtx(cache), spec(), join(cache, 'source.log'), archiveOf(repo, '/usr/share/keyrings/debian-archive-keyring.gpg')), (err: KvmatrixError) => {
      assert.equal(err.code, 'APT_SIGNATURE_INVALID');
      assert.equal(err.kind, 'infra');
      assert.match(err.logTail ?? '', /NO_PUBKEY|not signed/);
      assert.match(err.hint ?? '', /keyring/);
      return true;
    });
    assert.equal(existsSync(join(cache, 'sources')), false);
  });

  it('leaves no .deb and no tree behind when the mirror serves a file that is not what the index says', async () => {
    const bad = await makeSignedRepo('kvtest', [{ package: 'linux-source-6.9', version: '6.9.1-1', files: { 'usr/src/linux-source-6.9.tar.xz': archives.xz } }]);
    try {
      await corruptPoolFile(bad.debs.get('linux-source-6.9=6.9.1-1')?.file as string);
      await assert.rejects(fetchSuiteSource(testCtx(cache), spec(), join(cache, 'source.log'), archiveOf(bad)), (err: KvmatrixError) => {
        assert.equal(err.code, 'APT_DOWNLOAD_FAILED');
        assert.match(err.logTail ?? '', /Hash Sum mismatch|hash/i);
        return true;
      });
      assert.deepEqual(readdirSync(join(cache, 'downloads', 'debian', 'kvtest')), []);
      assert.deepEqual(readdirSync(join(cache, 'sources')).filter((n) => !n.endsWith('.lock')), []);
    } finally {
      await bad.close();
    }
  });
});
