import assert from 'node:assert/strict';
import { fragmentApplies, fragmentsFor } from '../../../src/kbuild/fragments.ts';
import { getArch } from '../../../src/arch/profile.ts';

describe('kconfig fragments per kernel version', () => {
  it('applies a plain fragment to every version and a ranged one inside its range only', () => {
    assert.ok(fragmentApplies('base.config', '5.10.223'));
    const ranged = { name: 'x.config', versions: '>=5.19 <7.0' };
    assert.deepEqual(['5.10.223', '5.19', '6.1.176', '6.19.9', '7.0', '7.2.13'].map((v) => fragmentApplies(ranged, v)), [false, true, true, true, false, false]);
  });

  it('gives 5.10 no option it does not have (PTE markers: 5.19), and requires it from 5.19 on', async () => {
    const names = async (arch: string, v: string) => (await fragmentsFor(getArch(arch), v)).map((f) => [f.name, f.optional, f.versions ?? 'all']);
    assert.deepEqual(await names('x86_64', '5.10.223'), [['base.config', false, 'all'], ['x86_64.config', false, 'all']]);
    assert.deepEqual((await names('x86_64', '6.1.176')).slice(2), [['pte-marker-uffd-wp.config', false, '>=5.19']]);
    // arm64 has uffd-wp (and so the option) from 6.10.
    assert.equal((await names('arm64', '6.1.176')).length, 2);
    assert.deepEqual((await names('arm64', '6.12.117')).slice(2), [['proc-mem-force.config', false, '>=6.12'], ['pte-marker-uffd-wp.config', false, '>=6.10']]);
  });

  it('follows options whose default moved (/proc/pid/mem forcing: the option from 6.12) and riscv64\'s newer options', async () => {
    const names = async (arch: string, v: string) => (await fragmentsFor(getArch(arch), v)).map((f) => f.name);
    assert.ok(!(await names('x86_64', '6.1.176')).includes('proc-mem-force.config'));
    assert.ok((await names('x86_64', '7.2.13')).includes('proc-mem-force.config'));
    assert.deepEqual(await names('riscv64', '6.1'), ['base.config', 'riscv64.config']);
    assert.deepEqual(await names('riscv64', '7.2.13'), ['base.config', 'riscv64.config', 'proc-mem-force.config', 'riscv64-isa-fallback.config', 'riscv64-svrsw60t59b.config', 'pte-marker-uffd-wp.config']);
  });

  it('reads each fragment\'s text (it keys the build cache)', async () => {
    const [base] = await fragmentsFor(getArch('x86_64'), '6.12');
    assert.match(base?.text ?? '', /^CONFIG_USERFAULTFD=y$/m);
  });
});
