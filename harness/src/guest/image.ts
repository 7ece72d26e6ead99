// The guest image: an initramfs with busybox-static, dropbear (with its
// libraries and loader) and our /init, all from Debian packages of the guest
// architecture, from the suites of guest/image/packages.yaml (per arch where
// an arch came to Debian later). Laid out merged-/usr, like Debian itself, so
// packages from before and after the /usr move give the same tree. Cached by
// a hash of its inputs.
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { allArches, type ArchProfile } from '../arch/profile.ts';
import type { Ctx } from '../stage.ts';
import { guestDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import { hashValue } from '../util/hash.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import { loadDebianArchive } from '../source/debian-archive.ts';
import { cpioNewc, type CpioEntry } from './cpio.ts';
import { downloadDebs } from './debian-packages.ts';
import { ensureKeys, type GuestKeys } from './keys.ts';

const SuiteListSchema = Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$' }), { minItems: 1 });

const ImageRecipeSchema = Type.Object({
  /** Suites of configs/debian-archive.yaml the packages come from, e.g. a release and its -security. */
  suites: SuiteListSchema,
  /** Arch (profile name) -> its own suites, for an arch Debian released later than `suites`. */
  archSuites: Type.Record(Type.String(), SuiteListSchema, { default: {} }),
  packages: Type.Array(Type.String(), { minItems: 1 }),
  /** Globs over the merged-/usr paths (bin/x is usr/bin/x) of the unpacked packages. */
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

export const RECIPE_FILE = join(guestDir, 'image', 'packages.yaml');

/** The recipe; an `archSuites` key that is no arch profile is an error naming the profiles. */
export function loadRecipe(file = RECIPE_FILE, arches: readonly Pick<ArchProfile, 'name'>[] = allArches()): ImageRecipe {
  const recipe = validateData(file, loadYaml(file), ImageRecipeSchema);
  const unknown = Object.keys(recipe.archSuites).filter((a) => !arches.some((p) => p.name === a));
  if (unknown.length > 0) {
    const lines = unknown.map((a) => `${file}: /archSuites/${a}: unknown arch "${a}". Available: ${arches.map((p) => p.name).join(', ')}`);
    throw new UserError('IMAGE_RECIPE_INVALID', `${file} is not valid:\n  ${lines.join('\n  ')}`, { stage: 'image' });
  }
  return recipe;
}

/** The suites `arch`'s guest packages come from. Pure. */
export function recipeSuites(recipe: ImageRecipe, arch: Pick<ArchProfile, 'name'>): string[] {
  return recipe.archSuites[arch.name] ?? recipe.suites;
}

/** Top-level directories Debian merged into /usr (bookworm and later are merged-/usr systems). */
const MERGED_DIRS = ['bin', 'sbin', 'lib', 'lib64'];

/**
 * A path of an unpacked package as it is on a merged-/usr system: bin/busybox
 * (bookworm's busybox-static) and usr/bin/busybox (trixie's) are the same
 * file. The image holds usr/ and the symlinks bin -> usr/bin and so on, so
 * packages of either layout give the same tree. Pure.
 */
export function mergedUsrPath(path: string): string {
  const top = path.split('/')[0] ?? '';
  return MERGED_DIRS.includes(top) ? `usr/${path}` : path;
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
  const suites = recipeSuites(recipe, arch);
  const keys = await ensureKeys(ctx.cacheDir);
  const initScript = await readFile(join(guestDir, 'image', 'init'));
  const debs = await downloadDebs({ cacheDir: ctx.cacheDir, archive: loadDebianArchive(), debianArch: arch.debianArch, suites, packages: recipe.packages, logPath });
  const key = hashValue({
    v: 2,
    arch: arch.name,
    suites,
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
    // Image path -> unpacked path; a file both layouts ship is kept once.
    const files = new Map<string, string>();
    for (const p of (await walk(staging)).sort()) {
      const merged = mergedUsrPath(p);
      if (patterns.some((re) => re.test(merged)) && !files.has(merged)) files.set(merged, p);
    }
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>(['dev', 'etc', 'etc/dropbear', 'proc', 'root', 'root/.ssh', 'sys', 'tmp', 'usr', 'usr/sbin', 'usr/bin', 'usr/lib', 'usr/lib64', 'run', 'var', 'var/log']);
    for (const f of files.keys()) {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...dirs].sort()) entries.push({ type: 'dir', path: d, mode: d === 'root/.ssh' || d === 'root' ? 0o700 : 0o755 });
    for (const d of MERGED_DIRS) entries.push({ type: 'symlink', path: d, target: `usr/${d}` });
    entries.push({ type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
    entries.push({ type: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 });
    for (const [f, unpacked] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const st = await lstat(join(staging, unpacked));
      if (st.isSymbolicLink()) entries.push({ type: 'symlink', path: f, target: await readlink(join(staging, unpacked)) });
      else entries.push({ type: 'file', path: f, mode: st.mode & 0o7777, data: await readFile(join(staging, unpacked)) });
    }
    for (const [path, text] of Object.entries(etcFiles(keys))) {
      entries.push({ type: 'file', path, mode: path.startsWith('root/') ? 0o600 : 0o644, data: Buffer.from(text) });
    }
    entries.push({ type: 'file', path: 'etc/dropbear/dropbear_ed25519_host_key', mode: 0o600, data: await readFile(keys.hostKeyPath) });
    entries.push({ type: 'file', path: 'init', mode: 0o755, data: initScript });
    if (!files.has('usr/bin/busybox')) throw new InfraError('IMAGE_INCOMPLETE', 'busybox-static provided neither bin/busybox nor usr/bin/busybox', { stage: 'image' });
    await writeFileAtomically(initrdPath, gzipSync(cpioNewc(entries), { level: 6 }));
    return image;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
