import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadMatrixConfig, planCells, filterCells } from '../../../src/plan/config.ts';
import { shardCells, parseShard } from '../../../src/plan/shard.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { UserError } from '../../../src/errors.ts';

function write(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'kvm-cfg-')), 'm.yaml');
  writeFileSync(f, text);
  return f;
}

describe('matrix config', () => {
  it('loads the embedded default and plans base before patched for each kernel/arch', () => {
    const cfg = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
    const ids = planCells(cfg).map((c) => c.id);
    assert.deepEqual(ids, [
      '5.10/x86_64/base',
      '6.1/x86_64/base', '6.1/x86_64/patched', '6.1/x86_64/v1-as-posted', '6.1/arm64/base', '6.1/arm64/patched', '6.1/arm64/v1-as-posted',
      '6.12/x86_64/base',
      '7.2/x86_64/base', '7.2/arm64/base',
    ]);
  });

  it('reports every schema problem with file and path', () => {
    const f = write('name: x\nkernels:\n  - id: "6.1"\n    source: { provider: debian, package: linux-6.1 }\narches: x86_64\nsuites: []\nbogus: 1\n');
    assert.throws(() => loadMatrixConfig(f), (e: unknown) => {
      const m = (e as Error).message;
      return e instanceof UserError && m.includes(`${f}: /: unknown key "bogus"`) && m.includes(`${f}: /arches: must be array`) && m.includes(`${f}: /suites: must NOT have fewer than 1 items`);
    });
  });

  it('fills every default from the schema, inside each suite kind too', () => {
    const f = write('name: x\nkernels: [{ id: a, source: { provider: local, path: /tmp } }]\narches: [x86_64]\nsuites:\n  - { name: c, kind: c-source, source: t.c }\n  - { name: b, kind: binary, path: /bin/true }\n  - { name: k, kind: kselftest, catalog: mm.yaml }\n');
    const cfg = loadMatrixConfig(f);
    assert.deepEqual(cfg.suites.map((s) => [s.name, s.args, s.timeoutMs]), [['c', [], 300_000], ['b', [], 300_000], ['k', [], 300_000]]);
    assert.deepEqual(cfg.variants, [{ name: 'base', patches: [] }]);
    assert.deepEqual([cfg.accel, cfg.repeat, cfg.timeouts, cfg.expectations], ['auto', 1, { suiteMs: 300_000 }, []]);
  });

  it('gives a suite without its own timeoutMs the timeouts.suiteMs of the config', () => {
    const f = write('name: x\nkernels: [{ id: a, source: { provider: local, path: /tmp } }]\nvariants: [{ name: base }, { name: p, patches: [x.diff] }]\narches: [x86_64]\ntimeouts: { suiteMs: 60000 }\nsuites:\n  - { name: own, kind: binary, path: /bin/true, timeoutMs: 5000 }\n  - { name: inherits, kind: binary, path: /bin/true, args: [-v] }\n');
    const cfg = loadMatrixConfig(f);
    assert.deepEqual(cfg.suites.map((s) => [s.name, s.args, s.timeoutMs]), [['own', [], 5000], ['inherits', ['-v'], 60_000]]);
    assert.deepEqual(cfg.variants, [{ name: 'base', patches: [] }, { name: 'p', patches: ['x.diff'] }]);
  });

  it('names the line of a YAML syntax error', () => {
    const f = write('name: x\nkernels: [\n');
    assert.throws(() => loadMatrixConfig(f), /is not valid YAML:\n\s+.*m\.yaml:\d+:/);
  });

  it('checks cross references: unknown kernel in a variant, missing base', () => {
    const f = write('name: x\nkernels: [{ id: a, source: { provider: local, path: /tmp } }]\nvariants: [{ name: p, kernels: [b] }]\narches: [x86_64]\nsuites: [{ name: s, kind: binary, path: /bin/true }]\n');
    assert.throws(() => loadMatrixConfig(f), (e: unknown) => /\/variants\/0\/kernels\/0: unknown kernel "b". Available: a/.test((e as Error).message) && /"base"/.test((e as Error).message));
  });

  it('rejects unknown --kernel/--arch/--variant listing the valid ones', () => {
    const cfg = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
    assert.throws(() => filterCells(cfg, planCells(cfg), { kernels: ['5.4'] }), /Unknown kernel "5.4".*Available: 5.10, 6.1, 6.12, 7.2/);
    assert.throws(() => filterCells(cfg, planCells(cfg), { variants: ['nope'] }), /Available: base, patched, v1-as-posted/);
    assert.equal(filterCells(cfg, planCells(cfg), { arches: ['arm64'], variants: ['base'] }).length, 2);
    assert.equal(filterCells(cfg, planCells(cfg), { arches: ['arm64'] }).length, 4);
    const nightly = loadMatrixConfig(join(configsDir, 'matrix.nightly.yaml'));
    assert.deepEqual(filterCells(nightly, planCells(nightly), { arches: ['riscv64'] }).map((c) => c.id), ['7.3/riscv64/base']);
  });

  it('accepts kernel ids with spaces and shell metacharacters (they are never shell strings)', () => {
    const f = write('name: x\nkernels: [{ id: "my kernel; rm -rf ~", source: { provider: local, path: /tmp } }]\narches: [x86_64]\nsuites: [{ name: s, kind: binary, path: /bin/true }]\n');
    assert.equal(planCells(loadMatrixConfig(f))[0]?.id, 'my kernel; rm -rf ~/x86_64/base');
  });
});

describe('matrix config: one name per arch, paths from the config directory', () => {
  it('maps arch aliases to the profile name in arches, expectations and --arch filters', () => {
    const f = write('name: x\nkernels: [{ id: a, source: { provider: local, path: /tmp } }]\narches: [amd64, aarch64]\nsuites: [{ name: s, kind: binary, path: /bin/true }]\nexpectations: [{ cases: ["s/*"], arches: [x86-64], expect: pass }]\n');
    const cfg = loadMatrixConfig(f);
    assert.deepEqual(cfg.arches, ['x86_64', 'arm64']);
    assert.deepEqual(cfg.expectations[0]?.arches, ['x86_64']);
    assert.deepEqual(planCells(cfg).map((c) => c.id), ['a/x86_64/base', 'a/arm64/base']);
    assert.deepEqual(filterCells(cfg, planCells(cfg), { arches: ['x64'] }).map((c) => c.id), ['a/x86_64/base']);
  });

  it('leaves unknown arch names for the plan check to report', () => {
    const f = write('name: x\nkernels: [{ id: a, source: { provider: local, path: /tmp } }]\narches: [x86-46]\nsuites: [{ name: s, kind: binary, path: /bin/true }]\n');
    assert.deepEqual(loadMatrixConfig(f).arches, ['x86-46']);
  });

  it('resolves local.path and relative git paths from the config file, not the cwd', () => {
    const f = write('name: x\nkernels:\n  - { id: a, source: { provider: local, path: ../linux } }\n  - { id: b, source: { provider: git, url: repo.git, ref: main } }\n  - { id: c, source: { provider: git, url: "https://h/l.git", ref: main } }\narches: [x86_64]\nsuites: [{ name: s, kind: binary, path: /bin/true }]\n');
    const cfg = loadMatrixConfig(f);
    const dir = cfg.baseDir;
    assert.deepEqual(cfg.kernels.map((k) => k.source), [
      { provider: 'local', path: join(dir, '..', 'linux') },
      { provider: 'git', url: join(dir, 'repo.git'), ref: 'main' },
      { provider: 'git', url: 'https://h/l.git', ref: 'main' },
    ]);
  });
});

describe('matrix config: arches per kernel', () => {
  const head = 'name: x\nsuites: [{ name: s, kind: binary, path: /bin/true }]\narches: [x86_64, arm64, riscv64]\n';

  it('plans a kernel only on its own arches, in the order of /arches, aliases included', () => {
    const f = write(`${head}kernels:\n  - { id: old, source: { provider: local, path: /tmp }, arches: [amd64] }\n  - { id: new, source: { provider: local, path: /tmp }, arches: [riscv64, aarch64, x86_64] }\n  - { id: all, source: { provider: local, path: /tmp } }\n`);
    const cfg = loadMatrixConfig(f);
    assert.deepEqual(cfg.kernels.map((k) => k.arches), [['x86_64'], ['riscv64', 'arm64', 'x86_64'], undefined]);
    assert.deepEqual(planCells(cfg).map((c) => c.id), [
      'old/x86_64/base', 'new/x86_64/base', 'new/arm64/base', 'new/riscv64/base', 'all/x86_64/base', 'all/arm64/base', 'all/riscv64/base',
    ]);
    assert.deepEqual(filterCells(cfg, planCells(cfg), { arches: ['riscv64'] }).map((c) => c.id), ['new/riscv64/base', 'all/riscv64/base']);
  });

  it('refuses a kernel arch that is not in /arches, or listed twice, naming the field', () => {
    const f = write(`${head}kernels:\n  - { id: a, source: { provider: local, path: /tmp }, arches: [x86_64, s390x, amd64] }\n`);
    assert.throws(() => loadMatrixConfig(f), (e: unknown) => {
      const m = (e as Error).message;
      return e instanceof UserError && m.includes('/kernels/0/arches/1: arch "s390x" is not in /arches. Available: x86_64, arm64, riscv64')
        && m.includes('/kernels/0/arches/2: arch "x86_64" is listed twice');
    });
  });
});

describe('sharding', () => {
  const cfg = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
  const cells = planCells(cfg);
  it('is deterministic, complete and disjoint, keeping a kernel/arch build group together', () => {
    for (const n of [1, 2, 3, 5]) {
      const shards = Array.from({ length: n }, (_, i) => shardCells(cells, i + 1, n, 'x86_64').map((c) => c.id));
      assert.deepEqual(shards, Array.from({ length: n }, (_, i) => shardCells(cells, i + 1, n, 'x86_64').map((c) => c.id)));
      assert.deepEqual(shards.flat().sort(), cells.map((c) => c.id).sort());
      for (const s of shards) {
        const groups = new Set(s.map((id) => id.split('/').slice(0, 2).join('/')));
        for (const g of groups) assert.ok(cells.filter((c) => c.id.startsWith(`${g}/`)).every((c) => s.includes(c.id)));
      }
    }
  });
  it('parses I/N', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    assert.equal(parseShard('0/3'), null);
    assert.equal(parseShard('4/3'), null);
  });
});
