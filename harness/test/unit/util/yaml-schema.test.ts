import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { UserError } from '../../../src/errors.ts';

/** The problem lines of a config that fails its schema. */
function problemsOf(yaml: string): string[] {
  const f = join(mkdtempSync(join(tmpdir(), 'kvm-schema-')), 'm.yaml');
  writeFileSync(f, yaml);
  try {
    loadMatrixConfig(f);
  } catch (e) {
    assert.ok(e instanceof UserError && e.code === 'CONFIG_INVALID', String(e));
    return e.message.split('\n').slice(1).map((l) => l.trim().replace(`${f}: `, ''));
  }
  throw new Error('expected the config to be refused');
}

const wrap = (source: string, suite = '{ name: s, kind: binary, path: /bin/true }') => `name: x\nkernels:\n  - id: "6.1"\n    source: ${source}\narches: [x86_64]\nsuites: [${suite}]\n`;

describe('schema errors: one line per mistake (tagged unions reduced to the branch the tag names)', () => {
  it('a bad field of the branch the provider names: only that field', () => {
    assert.deepEqual(problemsOf(wrap('{ provider: debian, package: linux-6.1 }')), ['/kernels/0/source/package: must match pattern "^linux-source-[0-9]+\\.[0-9]+$"']);
    assert.deepEqual(problemsOf(wrap('{ provider: git, url: "https://h/l.git" }')), ["/kernels/0/source: must have required property 'ref'"]);
  });

  it('a provider/kind that matches no branch: the allowed values', () => {
    assert.deepEqual(problemsOf(wrap('{ provider: debain, package: linux-source-6.1 }')), ['/kernels/0/source/provider: must be one of: debian, tarball, git, local; got "debain"']);
    assert.deepEqual(problemsOf(wrap('{ provider: local, path: /x }', '{ name: s, kind: bin, path: /bin/true }')), ['/suites/0/kind: must be one of: c-source, binary, kselftest; got "bin"']);
    assert.deepEqual(problemsOf(wrap('{ provider: 3, path: /x }')), ['/kernels/0/source/provider: must be one of: debian, tarball, git, local; got 3']);
  });

  it('no discriminator, or not a mapping: one line saying what is expected', () => {
    assert.deepEqual(problemsOf(wrap('{ package: linux-source-6.1 }')), ['/kernels/0/source: must have provider: one of debian, tarball, git, local']);
    assert.deepEqual(problemsOf(wrap('linux-source-6.1')), ['/kernels/0/source: must be a mapping with provider: one of debian, tarball, git, local']);
  });

  it('a mistake in a branch with defaults: only that mistake (the defaults of the branch are filled)', () => {
    assert.deepEqual(problemsOf(wrap('{ provider: local, path: /x }', '{ name: s, kind: kselftest, catalog: mm.yaml, timeoutMs: 5 }')), ['/suites/0/timeoutMs: must be >= 1000']);
  });

  it('a misspelled key is one "did you mean" line', () => {
    assert.deepEqual(problemsOf(wrap('{ provider: local, path: /x }', '{ name: s, kind: binary, pth: /bin/true }')), ['/suites/0: unknown key "pth" (did you mean "path"?)']);
  });

  it('keeps independent mistakes, in order, each once', () => {
    const lines = problemsOf('name: x\nkernels:\n  - { id: a, source: { provider: debain } }\n  - { id: b, source: { provider: local, path: 3 } }\narches: x86_64\nsuites: [{ name: s, kind: binary, path: /bin/true }]\nbogus: 1\n');
    assert.deepEqual(lines, [
      '/: unknown key "bogus"',
      '/kernels/0/source/provider: must be one of: debian, tarball, git, local; got "debain"',
      '/kernels/1/source/path: must be string',
      '/arches: must be array',
    ]);
  });
});
