import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { globToRegExp, loadRecipe, mergedUsrPath, recipeSuites } from '../../../src/guest/image.ts';
import { guestAptConfig } from '../../../src/guest/debian-packages.ts';
import { allArches, getArch } from '../../../src/arch/profile.ts';
import { loadDebianArchive, suiteNames } from '../../../src/source/debian-archive.ts';
import { UserError } from '../../../src/errors.ts';

describe('guest image recipe', () => {
  it('takes each arch\'s packages from suites of the Debian archive config: riscv64 from trixie, the others from bookworm', () => {
    const recipe = loadRecipe();
    const known = suiteNames(loadDebianArchive());
    for (const arch of allArches()) {
      const suites = recipeSuites(recipe, arch);
      for (const s of suites) assert.ok(known.includes(s), `${arch.name}: ${s} is in configs/debian-archive.yaml`);
    }
    assert.deepEqual(recipeSuites(recipe, getArch('x86_64')), ['bookworm', 'bookworm-security']);
    assert.deepEqual(recipeSuites(recipe, getArch('arm64')), ['bookworm', 'bookworm-security']);
    assert.deepEqual(recipeSuites(recipe, { name: 'riscv64' }), ['trixie', 'trixie-security']);
  });

  it('refuses an archSuites key that is no arch profile, listing the profiles', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'kvm-recipe-')), 'packages.yaml');
    writeFileSync(f, 'suites: [bookworm]\narchSuites: { riscv: [trixie] }\npackages: [busybox-static]\nkeep: [usr/bin/busybox]\n');
    assert.throws(() => loadRecipe(f, [{ name: 'x86_64' }, { name: 'riscv64' }]), (e: unknown) =>
      e instanceof UserError && e.code === 'IMAGE_RECIPE_INVALID' && e.message.includes(`${f}: /archSuites/riscv: unknown arch "riscv". Available: x86_64, riscv64`));
  });

  it('lays packages of either /usr layout out merged-/usr, and the keep globs match both', () => {
    assert.equal(mergedUsrPath('bin/busybox'), 'usr/bin/busybox');
    assert.equal(mergedUsrPath('usr/bin/busybox'), 'usr/bin/busybox');
    assert.equal(mergedUsrPath('lib/x86_64-linux-gnu/libc.so.6'), 'usr/lib/x86_64-linux-gnu/libc.so.6');
    assert.equal(mergedUsrPath('lib64/ld-linux-x86-64.so.2'), 'usr/lib64/ld-linux-x86-64.so.2');
    assert.equal(mergedUsrPath('library/x'), 'library/x');
    assert.equal(mergedUsrPath('etc/ld.so.conf.d/x.conf'), 'etc/ld.so.conf.d/x.conf');
    const keep = loadRecipe().keep.map(globToRegExp);
    const kept = (p: string) => keep.some((re) => re.test(mergedUsrPath(p)));
    // bookworm (amd64, arm64) and trixie (riscv64) paths of the same files.
    for (const p of ['bin/busybox', 'usr/bin/busybox', 'usr/sbin/dropbear', 'lib/x86_64-linux-gnu/libc.so.6', 'lib64/ld-linux-x86-64.so.2',
      'lib/ld-linux-aarch64.so.1', 'usr/lib/ld-linux-riscv64-lp64d.so.1', 'usr/lib/riscv64-linux-gnu/libc.so.6', 'usr/lib/riscv64-linux-gnu/libtomcrypt.so.1']) {
      assert.ok(kept(p), p);
    }
    for (const p of ['usr/lib/riscv64-linux-gnu/gconv/BIG5.so', 'usr/bin/dropbearkey', 'usr/share/doc/libc6/copyright']) assert.ok(!kept(p), p);
  });

  it('gives the guest apt only the recipe\'s suites for the guest arch, in state of its own', () => {
    const archive = loadDebianArchive(undefined, {});
    const cfg = guestAptConfig('/cache', archive, 'riscv64', ['trixie', 'trixie-security']);
    assert.equal(cfg.stateDir, '/cache/apt/guest-riscv64-trixie+trixie-security');
    assert.equal(cfg.arch, 'riscv64');
    assert.deepEqual(cfg.sources?.split('\n'), [
      `deb [signed-by=${archive.keyring}] http://deb.debian.org/debian trixie main`,
      `deb [signed-by=${archive.keyring}] http://deb.debian.org/debian-security trixie-security main`,
    ]);
    assert.throws(() => guestAptConfig('/cache', archive, 'riscv64', ['forky-ish']), (e: unknown) => e instanceof UserError && e.code === 'SOURCE_UNKNOWN_SUITE');
  });
});
