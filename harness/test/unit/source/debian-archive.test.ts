// configs/debian-archive.yaml: what it holds, how the environment overrides a
// mirror, and the sources.list and apt state each suite gets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describeOffer, getSuite, loadDebianArchive, suiteAptConfig, suiteNames, suiteSourcesList } from '../../../src/source/debian-archive.ts';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { KvmatrixError } from '../../../src/errors.ts';

describe('Debian archive configuration', () => {
  it('knows the releases from 5.10 to the newest kernel, each on the right mirror, checked with the system keyring', () => {
    const a = loadDebianArchive(undefined, {});
    for (const s of ['bullseye', 'bookworm', 'trixie', 'sid', 'bookworm-security', 'trixie-backports']) assert.ok(suiteNames(a).includes(s), s);
    assert.equal(a.keyring, '/usr/share/keyrings/debian-archive-keyring.gpg');
    assert.equal(a.architecture, 'amd64');
    assert.equal(suiteSourcesList(a, getSuite(a, 'trixie')), 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main');
    assert.equal(suiteSourcesList(a, getSuite(a, 'bookworm-security')), 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main');
  });

  it('takes a mirror from its environment variable (a trailing slash is dropped)', () => {
    const a = loadDebianArchive(undefined, { KVMATRIX_DEBIAN_MIRROR: 'http://ftp.de.debian.org/debian/' });
    assert.equal(suiteSourcesList(a, getSuite(a, 'sid')), 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://ftp.de.debian.org/debian sid main');
    assert.equal(a.mirrors['debian-security']?.url, 'http://deb.debian.org/debian-security');
    const cfg = suiteAptConfig('/cache', a, getSuite(a, 'sid'), 'source');
    assert.equal(cfg.stateDir, '/cache/apt/suite-sid');
    assert.equal(cfg.origin, 'http://ftp.de.debian.org/debian sid');
    assert.match(cfg.hints.unreachable, /KVMATRIX_DEBIAN_MIRROR overrides/);
  });

  it('refuses a mirror apt would not be given, naming the variable', () => {
    assert.throws(() => loadDebianArchive(undefined, { KVMATRIX_DEBIAN_MIRROR: 'ftp://ftp.debian.org/debian' }), (err: KvmatrixError) =>
      err.code === 'DEBIAN_ARCHIVE_INVALID' && err.kind === 'user' && /KVMATRIX_DEBIAN_MIRROR=ftp:\/\/ftp\.debian\.org\/debian uses ftp/.test(err.message));
  });

  it('refuses a suite on an unknown mirror, or listed twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-archive-'));
    try {
      const file = join(dir, 'a.yaml');
      writeFileSync(file, 'mirrors: { debian: { url: "http://m/debian" } }\nkeyring: /k.gpg\narchitecture: amd64\nsuites:\n  - { name: x, mirror: nope, components: [main] }\n  - { name: x, mirror: debian, components: [main] }\n');
      assert.throws(() => loadDebianArchive(file, {}), (err: Error) => /\/suites\/0\/mirror: unknown mirror "nope"\. Available: debian/.test(err.message) && /\/suites\/1\/name: suite "x" is listed twice/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the known suites for an unknown one', () => {
    assert.throws(() => getSuite(loadDebianArchive(undefined, {}), 'trixy'), (err: KvmatrixError) =>
      err.code === 'SOURCE_UNKNOWN_SUITE' && /^unknown Debian suite "trixy"\. Available: bullseye, .*trixie/.test(err.message));
  });

  it('knows every suite the shipped matrix configs name', () => {
    const known = suiteNames(loadDebianArchive(undefined, {}));
    for (const name of ['matrix.yaml', 'matrix.ci.yaml', 'matrix.nightly.yaml']) {
      for (const k of loadMatrixConfig(join(configsDir, name)).kernels) {
        if (k.source.provider === 'debian' && k.source.suite !== undefined) assert.ok(known.includes(k.source.suite), `${name}: ${k.source.suite}`);
      }
    }
  });

  it('describes an offer by each package\'s candidate', () => {
    assert.equal(describeOffer([{ name: 'linux-source-7.2', candidate: '7.2.12-1~bpo13+1', versions: [] }, { name: 'linux-source-7.3', candidate: null, versions: ['7.3.4-1'] }]),
      'linux-source-7.2 7.2.12-1~bpo13+1, linux-source-7.3 7.3.4-1');
    assert.equal(describeOffer([]), 'no linux-source-X.Y package');
  });
});
