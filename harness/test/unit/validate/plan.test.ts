import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { readMail } from '../../../src/mail/intake.ts';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { parsePatchFile } from '../../../src/patch/parse.ts';
import { chooseSuites, loadSuiteMap } from '../../../src/validate/suites.ts';
import { knownExpectations, narrowToArches, patchFileText, slug, validateConfig, variantsOf } from '../../../src/validate/plan.ts';
import { configsDir } from '../../../src/util/paths.ts';

const SEED = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-v1-as-posted/uffd-wp-softdirty-patch.eml.txt'), 'utf8');
const BACKPORT = readFileSync(join(configsDir, 'patches/uffd-wp-softdirty-6.1/0001-mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range.patch'), 'utf8');

describe('validate/plan: the matrix a patch mail gets', () => {
  const defaults = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
  const suites = chooseSuites(loadSuiteMap(), ['mm/userfaultfd.c']).suites;

  it('offers the seed as posted, and as posted + its fixup', async () => {
    const v = variantsOf(await readMail([{ name: 'seed', text: SEED }]));
    assert.deepEqual(v.map((x) => [x.name, x.label, x.patches.length]), [['v1', 'as posted', 1], ['v1-fixup', 'as posted + fixup', 2]]);
    assert.match(v[1]?.patches[1]?.subject.title ?? '', /^fixup: /);
  });

  it('names an untagged single patch "patch", with no fixup variant', async () => {
    assert.deepEqual(variantsOf(await readMail([{ name: 'b', text: BACKPORT }])).map((x) => x.name), ['patch']);
  });

  it('generates a config matrix accepts: base plus the variants, repair on, suites and known base facts only', async () => {
    const intake = await readMail([{ name: 'seed', text: SEED }]);
    const doc = validateConfig(defaults, intake, variantsOf(intake), suites, { kernels: ['6.1'], arches: ['amd64'] });
    const dir = mkdtempSync(join(tmpdir(), 'kvm-vplan-'));
    writeFileSync(join(dir, 'config.yaml'), stringify(doc));
    const cfg = loadMatrixConfig(join(dir, 'config.yaml'));
    assert.deepEqual(cfg.kernels.map((k) => k.id), ['6.1']);
    assert.deepEqual(cfg.arches, ['x86_64']);
    assert.deepEqual(cfg.variants.map((v) => [v.name, v.repair ?? false, v.patches]), [['base', false, []], ['v1', true, ['patches/v1']], ['v1-fixup', true, ['patches/v1-fixup']]]);
    assert.deepEqual(cfg.suites.map((s) => s.name), ['softdirty-uffdwp', 'kselftest-mm']);
    // Known: the bug on 6.1 base, the controls passing; nothing about v1, no arm64 facts for an x86_64 run, nothing for 6.3+.
    assert.ok(cfg.expectations.length > 0);
    for (const e of cfg.expectations) {
      assert.deepEqual(e.variants, ['base']);
      assert.ok(!e.arches || e.arches.includes('x86_64'), JSON.stringify(e));
      assert.ok(!e.versions?.startsWith('>=6.3'), JSON.stringify(e));
    }
    assert.ok(cfg.expectations.some((e) => e.expect === 'fail' && e.cases?.includes('softdirty-uffdwp/shmem_*_softdirty')));
  });

  it('refuses a kernel the default set does not have, listing those it has', async () => {
    const intake = await readMail([{ name: 'b', text: BACKPORT }]);
    assert.throws(() => validateConfig(defaults, intake, variantsOf(intake), suites, { kernels: ['6.1,5.4'] }), /Unknown kernel "5\.4" in .*matrix\.yaml\. Available: 5\.10, 6\.1, 6\.12, 7\.2/);
  });

  it('keeps a kernel on the selected arches it names, drops one left with none, refuses when none is left', () => {
    const k = (id: string, arches?: string[]) => ({ id, source: { provider: 'local' as const, path: '/x' }, ...(arches ? { arches } : {}) });
    const kept = narrowToArches([k('5.10', ['x86_64']), k('6.1', ['x86_64', 'arm64']), k('any')], ['arm64'], 'm.yaml');
    assert.deepEqual(kept.map((x) => [x.id, x.arches]), [['6.1', ['arm64']], ['any', undefined]]);
    assert.throws(() => narrowToArches([k('5.10', ['x86_64'])], ['riscv64'], 'm.yaml'), /None of the kernels "5\.10" of m\.yaml runs on riscv64/);
  });

  it('keeps base-only expectations for the kernels, arches and suites of the run', () => {
    const exps = knownExpectations([
      { cases: ['s/a'], expect: 'fail', variants: ['base'] },
      { cases: ['s/a'], expect: 'pass', variants: ['patched'] },
      { variants: ['v1'], expect: 'patch-failed' },
      { cases: ['other/a'], expect: 'pass' },
      { cases: ['s/a'], expect: 'skip', arches: ['arm64'] },
      { cases: ['s/a'], expect: 'pass', versions: '>=6.3' },
    ], defaults.kernels.filter((k) => k.id === '6.1'), ['x86_64'], ['s']);
    assert.deepEqual(exps, [{ cases: ['s/a'], expect: 'fail', variants: ['base'] }]);
  });

  it('writes each patch as a file the patch stage reads, the diff exactly as posted', async () => {
    const intake = await readMail([{ name: 'seed', text: SEED }]);
    const v1 = intake.series[0];
    assert.ok(v1);
    const text = patchFileText(v1);
    const [m] = parsePatchFile(text);
    assert.equal(m?.subject, 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()');
    assert.deepEqual(m?.files, ['mm/userfaultfd.c']);
    assert.ok(text.endsWith(v1.diff));
    assert.equal(slug(v1.subject.title), 'mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range');
  });
});
