// SSH keys live in the cache, never in results or git: a client key for the
// harness and a host key baked into every guest image, so the host key can be
// pinned instead of ignored.
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../util/fs.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import lockfile from 'proper-lockfile';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';

export interface GuestKeys {
  dir: string;
  clientPrivateKey: string;
  /** "ssh-ed25519 AAAA... kvmatrix" for authorized_keys. */
  clientPublicKey: string;
  /** dropbear-format host key file. */
  hostKeyPath: string;
  /** Raw public key blob the guest must present. */
  hostKeyBlob: Buffer;
  hostPublicKey: string;
}

export async function ensureKeys(cacheDir: string): Promise<GuestKeys> {
  const dir = join(cacheDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const release = await lockfile.lock(dir, { retries: { retries: 50, minTimeout: 100, maxTimeout: 1000 }, stale: 30000 });
  try {
    const clientPath = join(dir, 'client_ed25519');
    const hostKeyPath = join(dir, 'host_ed25519.dropbear');
    if (!existsSync(clientPath) || !existsSync(`${clientPath}.pub`)) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'kvmatrix' });
      // Public half first: the private file's presence is what marks the pair complete.
      await writeFileAtomically(`${clientPath}.pub`, `${pair.public}\n`, 0o600);
      await writeFileAtomically(clientPath, pair.private, 0o600);
    }
    if (!existsSync(hostKeyPath) || !existsSync(`${hostKeyPath}.pub`)) {
      const gen = await run('dropbearkey', ['-t', 'ed25519', '-f', hostKeyPath]);
      if (gen.exitCode !== 0) {
        throw new InfraError('HOSTKEY_GEN', `dropbearkey failed (exit ${gen.exitCode}): ${gen.stderr.trim()}`, {
          stage: 'image', hint: 'install dropbear-bin (npm run doctor lists missing tools)',
        });
      }
      const pub = await run('dropbearkey', ['-y', '-f', hostKeyPath]);
      const line = pub.stdout.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
      if (!line) throw new InfraError('HOSTKEY_GEN', 'dropbearkey -y printed no ssh-ed25519 line', { stage: 'image' });
      await writeFileAtomically(`${hostKeyPath}.pub`, `${line.trim()}\n`, 0o600);
    }
    await chmod(clientPath, 0o600);
    await chmod(hostKeyPath, 0o600);
    const hostPublicKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
    return {
      dir,
      clientPrivateKey: clientPath,
      clientPublicKey: (await readFile(`${clientPath}.pub`, 'utf8')).trim(),
      hostKeyPath,
      hostKeyBlob: Buffer.from(hostPublicKey.split(/\s+/)[1] ?? '', 'base64'),
      hostPublicKey,
    };
  } finally {
    await release();
  }
}
