// The guest image: an initramfs with busybox-static, dropbear (with its
// libraries and loader) and our /init, all from Debian packages of the guest
// architecture. Cached by a hash of its inputs.
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import type { ArchProfile } from '../arch/profile.ts';
import type { Ctx } from '../stage.ts';
import { guestDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { hashValue } from '../util/hash.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { run } from '../exec/run.ts';
import { InfraError } from '../errors.ts';
import { cpioNewc, type CpioEntry } from './cpio.ts';
import { downloadDebs } from './debian-packages.ts';
import { ensureKeys, type GuestKeys } from './keys.ts';

const ImageRecipeSchema = Type.Object({
  suite: Type.String(),
  packages: Type.Array(Type.String(), { minItems: 1 }),
  keep: Type.Array(Type.String(), { minItems: 1 }),
}, { additionalProperties: false });

export type ImageRecipe = Static<typeof ImageRecipeSchema>;

export interface GuestImage {
  arch: string;
  initrdPath: string;
  keys: GuestKeys;
  packages: string[];
  key: string;
}

export function loadRecipe(): ImageRecipe {
  const file = join(guestDir, 'image', 'packages.yaml');
  return validateData(file, loadYaml(file), ImageRecipeSchema);
}

/** Glob with `*` (one path segment) only: enough for the recipe's keep list. */
export function globToRegExp(glob: string): RegExp {
  const esc = glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${esc}$`);
}

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(root, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, p));
    if (st.isDirectory()) out.push(...(await walk(root, p)));
    else out.push(p);
  }
  return out;
}

function etcFiles(keys: GuestKeys): Record<string, string> {
  return {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/group': 'root:x:0:\ntty:x:5:\n',
    'etc/shells': '/bin/sh\n',
    'etc/hosts': '127.0.0.1 localhost kvmatrix\n',
    'root/.ssh/authorized_keys': `${keys.clientPublicKey}\n`,
  };
}

export async function buildGuestImage(ctx: Ctx, arch: ArchProfile, logPath: string): Promise<GuestImage> {
  const recipe = loadRecipe();
  const keys = await ensureKeys(ctx.cacheDir);
  const initScript = await readFile(join(guestDir, 'image', 'init'));
  const debs = await downloadDebs({ cacheDir: ctx.cacheDir, debianArch: arch.debianArch, packages: recipe.packages, logPath });
  const key = hashValue({
    v: 1,
    arch: arch.name,
    debs: debs.map((d) => basename(d.file)),
    keep: recipe.keep,
    init: initScript.toString('base64'),
    client: keys.clientPublicKey,
    host: keys.hostPublicKey,
  }).slice(0, 16);
  const initrdPath = join(ctx.cacheDir, 'images', `${arch.name}-${key}.cpio.gz`);
  const image: GuestImage = { arch: arch.name, initrdPath, keys, packages: debs.map((d) => basename(d.file)), key };
  if (existsSync(initrdPath)) return image;

  await mkdir(join(ctx.cacheDir, 'images'), { recursive: true });
  const staging = await mkdtemp(join(ctx.cacheDir, 'images', '.unpack-'));
  try {
    for (const deb of debs) {
      const r = await run('dpkg-deb', ['-x', deb.file, staging], { logPath });
      if (r.exitCode !== 0) throw new InfraError('DEB_UNPACK', `dpkg-deb -x ${deb.file} failed`, { stage: 'image', logPath });
    }
    const patterns = recipe.keep.map(globToRegExp);
    const files = (await walk(staging)).filter((p) => patterns.some((re) => re.test(p))).sort();
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>(['bin', 'dev', 'etc', 'etc/dropbear', 'proc', 'root', 'root/.ssh', 'sys', 'tmp', 'usr', 'usr/sbin', 'usr/bin', 'sbin', 'lib', 'run', 'var', 'var/log']);
    for (const f of files) {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...dirs].sort()) entries.push({ type: 'dir', path: d, mode: d === 'root/.ssh' || d === 'root' ? 0o700 : 0o755 });
    entries.push({ type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
    entries.push({ type: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 });
    for (const f of files) {
      const st = await lstat(join(staging, f));
      if (st.isSymbolicLink()) entries.push({ type: 'symlink', path: f, target: await readlink(join(staging, f)) });
      else entries.push({ type: 'file', path: f, mode: st.mode & 0o7777, data: await readFile(join(staging, f)) });
    }
    for (const [path, text] of Object.entries(etcFiles(keys))) {
      entries.push({ type: 'file', path, mode: path.startsWith('root/') ? 0o600 : 0o644, data: Buffer.from(text) });
    }
    entries.push({ type: 'file', path: 'etc/dropbear/dropbear_ed25519_host_key', mode: 0o600, data: await readFile(keys.hostKeyPath) });
    entries.push({ type: 'file', path: 'init', mode: 0o755, data: initScript });
    if (!files.includes('bin/busybox')) throw new InfraError('IMAGE_INCOMPLETE', 'busybox-static did not provide bin/busybox', { stage: 'image' });
    await writeFileAtomically(initrdPath, gzipSync(cpioNewc(entries), { level: 6 }));
    return image;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
