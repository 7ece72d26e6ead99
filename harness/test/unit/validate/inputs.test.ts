import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readInputs } from '../../../src/validate/run.ts';

describe('validate/run: what PATCH... names', () => {
  const noStdin = async () => { throw new Error('stdin not expected'); };

  it('reads a directory of format-patch files by name, or in the order of its series file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kvm-in-'));
    for (const f of ['0002-b.patch', '0001-a.patch', 'notes.md', 'cover.eml']) writeFileSync(join(d, f), f);
    assert.deepEqual((await readInputs([d], noStdin)).map((i) => i.name), ['0001-a.patch', '0002-b.patch', 'cover.eml']);
    writeFileSync(join(d, 'series'), '# order\n0002-b.patch\n0001-a.patch\n');
    assert.deepEqual((await readInputs([d], noStdin)).map((i) => i.text), ['0002-b.patch', '0001-a.patch']);
  });

  it('reads - from stdin, and files as given', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kvm-in-'));
    writeFileSync(join(d, 'x.mbx'), 'mbox');
    const got = await readInputs([join(d, 'x.mbx'), '-'], async () => 'from stdin');
    assert.deepEqual(got, [{ name: 'x.mbx', text: 'mbox' }, { name: 'stdin', text: 'from stdin' }]);
  });

  it('refuses a path that does not exist and a directory with no patch in it', async () => {
    await assert.rejects(readInputs(['/nonexistent/x.patch'], noStdin), /no such file or directory/);
    const d = mkdtempSync(join(tmpdir(), 'kvm-in-'));
    mkdirSync(join(d, 'sub'));
    await assert.rejects(readInputs([d], noStdin), /has no \.patch, \.eml, \.mbx or \.mbox file and no series file/);
  });
});
