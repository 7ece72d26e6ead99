// apt with private state: the option arrays and sources lines (pure), then
// the real thing against Debian's archive: lists of a suite other than the
// host's, verified by apt, and a small package downloaded and checked.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { privateAptOptions, sourcesListLine, withPrivateApt } from '../../../src/apt/private-apt.ts';
import { getSuite, loadDebianArchive, suiteAptConfig } from '../../../src/source/debian-archive.ts';
import { run } from '../../../src/exec/run.ts';
import { sha256File } from '../../../src/util/hash.ts';
import { UserError } from '../../../src/errors.ts';
import { tempDir } from '../source/helpers.ts';

describe('private apt options', () => {
  const cfg = { stateDir: '/c/apt/suite-trixie', arch: 'amd64', sources: 'deb [signed-by=/k.gpg] http://m/debian trixie main' };

  it('points every piece of apt state at the private dir and the host\'s sources and pinning away', () => {
    assert.deepEqual(privateAptOptions(cfg, false), [
      '-oAPT::Architecture=amd64',
      '-oAPT::Architectures=amd64',
      '-oDir::State::Lists=/c/apt/suite-trixie/lists',
      '-oDir::Cache=/c/apt/suite-trixie/cache',
      '-oDir::State::status=/c/apt/suite-trixie/status',
      '-oDebug::NoLocking=1',
      '-oAcquire::Languages=none',
      '-oDir::Etc::SourceList=/c/apt/suite-trixie/sources.list',
      '-oDir::Etc::SourceParts=/c/apt/suite-trixie/sources.list.d',
      '-oDir::Etc::Preferences=/c/apt/suite-trixie/preferences',
      '-oDir::Etc::PreferencesParts=/c/apt/suite-trixie/preferences.d',
    ]);
  });

  it('keeps downloads in the caller\'s hands as root (no _apt sandbox), and the host\'s sources without `sources`', () => {
    assert.deepEqual(privateAptOptions(cfg, true).slice(-1), ['-oAPT::Sandbox::User=root']);
    const host = privateAptOptions({ stateDir: '/c/apt/arm64', arch: 'arm64' }, false);
    assert.equal(host.some((o) => o.startsWith('-oDir::Etc::')), false);
    assert.ok(host.includes('-oAPT::Architectures=arm64'));
  });

  it('writes one signed-by line per suite and refuses words that would change its meaning', () => {
    assert.equal(sourcesListLine({ uri: 'http://deb.debian.org/debian', suite: 'trixie', components: ['main', 'contrib'], keyring: '/usr/share/keyrings/debian-archive-keyring.gpg' }),
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main contrib');
    for (const bad of ['', 'a b', 'x]', '[trusted=yes]', 'x#y']) {
      assert.throws(() => sourcesListLine({ uri: 'http://m', suite: bad, components: ['main'], keyring: '/k' }), UserError, bad);
    }
  });
});

/** null when Debian's archive answers within a few seconds, else why not. */
async function archiveUnreachable(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.ok ? null : `${url} answered HTTP ${res.status}`;
  } catch (err) {
    return `${url} is unreachable (${(err as Error).message})`;
  }
}

describe('private apt against Debian\'s archive (network)', function () {
  this.timeout(180_000);
  const archive = loadDebianArchive();
  // Some suite that is not the host's own: the point is that the host's release does not matter.
  const suite = getSuite(archive, 'trixie');
  let dir: string;

  before(async function () {
    const why = await archiveUnreachable(`${archive.mirrors[suite.mirror]?.url}/dists/${suite.name}/InRelease`);
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });
  beforeEach(async () => {
    dir = await tempDir('apt-net');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches trixie\'s signed lists and downloads hello, whose sha256 is the index\'s; the host\'s apt state is untouched', async () => {
    const hostLists = statSync('/var/lib/apt/lists').mtimeMs;
    const cfg = suiteAptConfig(dir, archive, suite, 'source');
    await withPrivateApt(cfg, async (apt) => {
      const lists = await apt.ensureLists();
      assert.equal(lists.refreshed, true);
      console.log(`      apt-get update of ${suite.name}: ${(lists.updateMs / 1000).toFixed(1)} s`);
      // apt keeps the signed InRelease it verified the Packages hashes with.
      assert.ok(readdirSync(join(cfg.stateDir, 'lists')).some((f) => f.endsWith(`_dists_${suite.name}_InRelease`)));
      assert.equal((await apt.ensureLists()).refreshed, false, 'fresh lists are not fetched again');

      const hello = (await apt.policy(['hello'])).get('hello');
      assert.ok(hello?.candidate, 'trixie has hello');
      const uri = await apt.printUri('hello', hello.candidate);
      assert.match(uri?.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(await apt.printUri('hello', '0.0-no-such-version'), null);
      const [file, ...more] = await apt.download([`hello=${hello.candidate}`], join(dir, 'debs'));
      assert.deepEqual(more, []);
      assert.equal(await sha256File(file as string), uri?.sha256);
      assert.deepEqual(readdirSync(join(dir, 'debs')), [uri?.fileName], 'no staging directory left behind');
    });
    assert.equal(statSync('/var/lib/apt/lists').mtimeMs, hostLists);
    const installed = await run('dpkg-query', ['-W', '-f=${Status}', 'hello']);
    assert.ok(installed.exitCode !== 0 || !installed.stdout.includes(' installed'), 'hello was not installed');
  });

  it('works as a normal user: the same options without the sandbox override, dirs owned by that user', async function () {
    const setpriv = await run('setpriv', ['--version']);
    if (process.getuid?.() !== 0 || setpriv.exitCode !== 0) {
      console.log('      skipped: needs root and setpriv to become another user');
      this.skip();
    }
    const cfg = suiteAptConfig(join(dir, 'cache'), archive, { ...suite, name: 'trixie-backports' }, 'source');
    await withPrivateApt(cfg, async () => undefined); // creates the state dir and sources.list
    await chmod(dir, 0o755);
    const own = await run('chown', ['-R', 'nobody:nogroup', join(dir, 'cache')]);
    assert.equal(own.exitCode, 0, own.stderr);
    const r = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'apt-get', ...privateAptOptions(cfg, false), '-qq', '--error-on=any', 'update'], {
      env: { LC_ALL: 'C', HOME: dir }, timeoutMs: 120_000,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(readdirSync(join(cfg.stateDir, 'lists')).some((f) => f.includes('Packages')));
  });
});
