import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, spawnLongLived, type Spawned } from '../../../src/exec/run.ts';
import { gitProvider } from '../../../src/source/git.ts';
import { KvmatrixError } from '../../../src/errors.ts';
import { closedPort, ls, tempDir, testCtx, waitForPort } from './helpers.ts';

const GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const ID = ['-c', 'user.name=kvmatrix test', '-c', 'user.email=test@kvmatrix.invalid', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await run('git', [...ID, ...args], { cwd, env: GIT_ENV });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

const makefile = (sub: number) => `VERSION = 6\nPATCHLEVEL = 9\nSUBLEVEL = ${sub}\nEXTRAVERSION =\n`;

async function expectError(p: Promise<unknown>, code: string, kind?: 'user' | 'infra'): Promise<KvmatrixError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KvmatrixError, `expected a KvmatrixError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}\n${err.logTail ?? ''}`);
    assert.equal(err.stage, 'source');
    if (kind) assert.equal(err.kind, kind);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('git source provider (against a real git daemon on 127.0.0.1)', function () {
  this.timeout(20_000);
  let root: string;
  let work: string;
  let bare: string;
  let daemon: Spawned | undefined;
  let url: string;
  let first: string; // 6.9.0, tagged v6.9
  let second: string; // 6.9.1, main
  let cacheDir: string;

  before(async function () {
    const execPath = (await run('git', ['--exec-path'])).stdout.trim();
    if (!existsSync(join(execPath, 'git-daemon'))) {
      // Every test below needs a real git server.
      this.skip();
    }
    root = await tempDir('git');
    work = join(root, 'work');
    bare = join(root, 'served', 'linux.git');
    await mkdir(join(work, 'kernel'), { recursive: true });
    await git(root, 'init', '-q', '-b', 'main', work);
    await writeFile(join(work, 'Makefile'), makefile(0));
    await writeFile(join(work, 'kernel', 'fork.c'), 'int nr_threads;\n');
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'Linux 6.9');
    await git(work, 'tag', '-a', 'v6.9', '-m', 'Linux 6.9');
    first = await git(work, 'rev-parse', 'HEAD');
    await writeFile(join(work, 'Makefile'), makefile(1));
    await writeFile(join(work, 'kernel', 'exit.c'), 'int exits;\n');
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'Linux 6.9.1');
    second = await git(work, 'rev-parse', 'HEAD');
    await git(root, 'clone', '-q', '--bare', work, bare);

    const port = await closedPort();
    daemon = spawnLongLived('git', [
      'daemon', '--export-all', '--informative-errors', '--reuseaddr',
      `--base-path=${join(root, 'served')}`, '--listen=127.0.0.1', `--port=${port}`, join(root, 'served'),
    ], { env: GIT_ENV });
    await waitForPort(port);
    url = `git://127.0.0.1:${port}/linux.git`;
  });

  after(async () => {
    await daemon?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    cacheDir = await tempDir('cache');
  });

  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  const log = () => join(cacheDir, 'source.log');

  it('fetches a branch: tree of its head commit, identity git:<url>@<sha>, no .git in the tree', async () => {
    const src = await gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref: 'main' }, log());
    assert.equal(src.identity, `git:${url}@${second}`);
    assert.equal(src.kernelVersion, '6.9.1');
    assert.equal(src.tree, join(cacheDir, 'sources', `git-${second.slice(0, 12)}`));
    assert.equal(await readFile(join(src.tree, 'kernel', 'exit.c'), 'utf8'), 'int exits;\n');
    assert.equal(existsSync(join(src.tree, '.git')), false);
    const mirrors = await ls(join(cacheDir, 'git'));
    assert.equal(mirrors.filter((n) => n.endsWith('.git')).length, 1, `one bare mirror: ${mirrors.join(', ')}`);
    assert.deepEqual(await ls(join(cacheDir, 'sources')), [`git-${second.slice(0, 12)}`], 'no temp or lock left behind');
  });

  it('fetches an annotated tag, peeled to its commit', async () => {
    const src = await gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref: 'v6.9' }, log());
    assert.equal(src.identity, `git:${url}@${first}`);
    assert.equal(src.kernelVersion, '6.9.0');
    assert.equal(existsSync(join(src.tree, 'kernel', 'exit.c')), false);
  });

  it('fetches a full commit sha, and serves it from the cache afterwards without the server', async () => {
    const src = await gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref: first }, log());
    assert.equal(src.identity, `git:${url}@${first}`);
    assert.equal(src.kernelVersion, '6.9.0');
    // Same commit "from" an unreachable server: the tree is content-addressed.
    const dead = `git://127.0.0.1:${await closedPort()}/linux.git`;
    const again = await gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url: dead, ref: first }, log());
    assert.equal(again.tree, src.tree);
    assert.equal(again.identity, `git:${dead}@${first}`);
  });

  it('shares one mirror between refs and follows a branch that moved', async () => {
    const ctx = testCtx(cacheDir);
    const a = await gitProvider.fetch(ctx, { provider: 'git', url, ref: 'main' }, log());
    await gitProvider.fetch(ctx, { provider: 'git', url, ref: 'v6.9' }, log());
    assert.equal((await ls(join(cacheDir, 'git'))).filter((n) => n.endsWith('.git')).length, 1);

    const clone = join(root, `clone-${Date.now()}`);
    await git(root, 'clone', '-q', bare, clone);
    await writeFile(join(clone, 'Makefile'), makefile(2));
    await git(clone, 'commit', '-q', '-am', 'Linux 6.9.2');
    const third = await git(clone, 'rev-parse', 'HEAD');
    await git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/next');
    const b = await gitProvider.fetch(ctx, { provider: 'git', url, ref: 'next' }, log());
    assert.equal(b.identity, `git:${url}@${third}`);
    assert.equal(b.kernelVersion, '6.9.2');
    assert.notEqual(b.tree, a.tree);
  });

  it('fails with GIT_REF_NOT_FOUND for an unknown branch, naming url and ref', async () => {
    const err = await expectError(gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref: 'no-such-branch' }, log()), 'GIT_REF_NOT_FOUND', 'user');
    assert.ok(err.message.includes(url) && err.message.includes('no-such-branch'), err.message);
    assert.deepEqual(await ls(join(cacheDir, 'sources')), []);
  });

  it('fails with GIT_REF_NOT_FOUND for a sha the server does not have', async () => {
    const ghost = 'deadbeef'.repeat(5);
    const err = await expectError(gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref: ghost }, log()), 'GIT_REF_NOT_FOUND', 'user');
    assert.ok(err.message.includes(ghost));
  });

  it('fails with GIT_REPO_NOT_FOUND for a repository the server does not export', async () => {
    const missing = url.replace('linux.git', 'nope.git');
    const err = await expectError(gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url: missing, ref: 'main' }, log()), 'GIT_REPO_NOT_FOUND', 'user');
    assert.ok(err.message.includes(missing));
  });

  it('refuses refs that git would read as options or refspecs', async () => {
    for (const ref of ['--upload-pack=touch /tmp/x', 'main:refs/heads/x', 'HEAD~1', '']) {
      await expectError(gitProvider.fetch(testCtx(cacheDir), { provider: 'git', url, ref }, log()), 'SOURCE_SPEC', 'user');
    }
    assert.equal(existsSync(join(cacheDir, 'git')), false, 'nothing was run');
  });
});
