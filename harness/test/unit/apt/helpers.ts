// A real, signed Debian repository in a temp dir (file: URL), so the private
// apt path runs end to end offline: apt verifies our throwaway key's
// signature on InRelease, the hashes of Packages and of each .deb.
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.ts';
import { sha256File } from '../../../src/util/hash.ts';
import { tempDir } from '../source/helpers.ts';

export interface DebSpec {
  package: string;
  version: string;
  /** Files of the package: path inside it -> file on disk to copy there. */
  files: Record<string, string>;
}

export interface SignedRepo {
  dir: string;
  /** The mirror URL for sources.list ("file:/tmp/..."). */
  url: string;
  suite: string;
  /** Binary keyring holding the signing key (for signed-by). */
  keyring: string;
  /** Built .debs by "package=version", and where the pool has them. */
  debs: Map<string, { file: string; sha256: string }>;
  close(): Promise<void>;
}

async function must(file: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await run(file, args, { ...opts, timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`${r.command} failed (${r.exitCode ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** Can this host build a signed repository (gpg, dpkg-deb)? null when it can, else why not. */
export async function signedRepoUnavailable(): Promise<string | null> {
  for (const tool of ['gpg', 'dpkg-deb', 'apt-get']) {
    const r = await run(tool, ['--version'], { timeoutMs: 10_000 });
    if (r.exitCode !== 0) return `${tool} is not available`;
  }
  return null;
}

/** Build one .deb (Architecture: all) in `dir`. */
export async function buildDeb(dir: string, spec: DebSpec): Promise<string> {
  const root = join(dir, `${spec.package}_${spec.version}`);
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await writeFile(join(root, 'DEBIAN', 'control'), [
    `Package: ${spec.package}`, `Version: ${spec.version}`, 'Architecture: all',
    'Maintainer: kvmatrix tests <tests@kvmatrix.invalid>', `Description: test package ${spec.package}`, '',
  ].join('\n'));
  for (const [inside, from] of Object.entries(spec.files)) {
    await mkdir(join(root, inside, '..'), { recursive: true });
    await copyFile(from, join(root, inside));
  }
  const deb = join(dir, `${spec.package}_${spec.version}_all.deb`);
  await must('dpkg-deb', ['--root-owner-group', '-Zxz', '-z1', '--build', root, deb]);
  await rm(root, { recursive: true, force: true });
  return deb;
}

/** A repository with `debs` in `<suite>/main`, signed by a fresh key. */
export async function makeSignedRepo(suite: string, debs: DebSpec[]): Promise<SignedRepo> {
  const dir = await tempDir('repo');
  const gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg };
  const gpg = ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', ''];
  const close = async () => {
    await run('gpgconf', ['--kill', 'all'], { env, timeoutMs: 10_000 });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await must('gpg', [...gpg, '--quick-gen-key', 'kvmatrix test repo <tests@kvmatrix.invalid>', 'ed25519', 'sign', 'never'], { env });
    const keyring = join(dir, 'keyring.gpg');
    await must('gpg', ['--batch', '--export', '--output', keyring], { env });

    const pool = join(dir, 'pool', 'main');
    await mkdir(pool, { recursive: true });
    const built = new Map<string, { file: string; sha256: string }>();
    const stanzas: string[] = [];
    for (const spec of debs) {
      const deb = await buildDeb(pool, spec);
      const sha256 = await sha256File(deb);
      built.set(`${spec.package}=${spec.version}`, { file: deb, sha256 });
      stanzas.push([
        `Package: ${spec.package}`, `Version: ${spec.version}`, 'Architecture: all',
        'Maintainer: kvmatrix tests <tests@kvmatrix.invalid>',
        `Filename: pool/main/${spec.package}_${spec.version}_all.deb`,
        `Size: ${(await stat(deb)).size}`, `SHA256: ${sha256}`,
        `Description: test package ${spec.package}`, '',
      ].join('\n'));
    }
    const dists = join(dir, 'dists', suite);
    await mkdir(join(dists, 'main', 'binary-amd64'), { recursive: true });
    const packages = join(dists, 'main', 'binary-amd64', 'Packages');
    await writeFile(packages, stanzas.join('\n'));
    const release = [
      'Origin: kvmatrix-test', 'Label: kvmatrix-test', `Suite: ${suite}`, `Codename: ${suite}`,
      `Date: ${new Date(Date.now() - 60_000).toUTCString()}`, 'Architectures: amd64', 'Components: main', 'SHA256:',
      ` ${await sha256File(packages)} ${(await stat(packages)).size} main/binary-amd64/Packages`, '',
    ].join('\n');
    await writeFile(join(dists, 'Release'), release);
    await must('gpg', [...gpg, '--clearsign', '--output', join(dists, 'InRelease'), join(dists, 'Release')], { env });
    return { dir, url: `file:${dir}`, suite, keyring, debs: built, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Replace a pool file's bytes after signing (what a broken mirror would serve). */
export async function corruptPoolFile(file: string): Promise<void> {
  const data = await readFile(file);
  data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 0xff;
  await writeFile(file, data);
}
