import assert from 'node:assert/strict';
import { checkRequirements, findOnPath, provision } from '../../../src/provision/check.ts';
import { hostRequirements } from '../../../src/provision/requirements.ts';
import { join } from 'node:path';
import { allArches, getArch } from '../../../src/arch/profile.ts';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { configsDir } from '../../../src/util/paths.ts';
import { silentReporter } from '../../../src/progress.ts';
import { UserError } from '../../../src/errors.ts';

describe('provisioning', () => {
  it('derives the requirements from data: host tools, each arch\'s qemu, cross compilers, Debian sources', () => {
    const names = hostRequirements(allArches(), ['linux-source-6.1']).map((r) => `${r.name}=${r.package}`);
    for (const want of ['make=make', 'qemu-system-x86_64=qemu-system-x86', 'qemu-system-aarch64=qemu-system-arm', 'linux-source-6.1=linux-source-6.1', 'dropbearkey=dropbear-bin']) {
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    }
  });

  it('adds the test-only tools (chromium for the report tests) only for `provision --for test`', () => {
    const names = (forTests: boolean) => hostRequirements(allArches(), [], { forTests }).map((r) => `${r.name}=${r.package}`);
    assert.ok(names(true).includes('chromium=chromium'));
    assert.ok(!names(false).includes('chromium=chromium'));
  });

  it('finds commands on PATH and files, and reports what is missing', async () => {
    assert.ok(findOnPath('sh'));
    const s = await checkRequirements([
      { name: 'sh', command: 'sh', package: 'dash', purpose: 'x' },
      { name: 'nope', command: 'kvmatrix-no-such-tool', package: 'kvmatrix-no-such-pkg', purpose: 'testing' },
      { name: 'nofile', file: '/no/such/file.h', package: 'libnothing-dev', purpose: 'testing' },
    ]);
    assert.deepEqual(s.map((x) => x.ok), [true, false, false]);
  });

  it('as non-root, names the missing tools and prints the exact sudo apt-get line (exit 2)', async () => {
    await assert.rejects(provision([{ name: 'nope', command: 'kvmatrix-no-such-tool', package: 'kvmatrix-no-such-pkg', purpose: 'testing' }], silentReporter, false),
      (e: unknown) => e instanceof UserError && e.code === 'HOST_TOOLS_MISSING' && /nope \(testing\)/.test(e.message)
        && e.hint === 'run: sudo apt-get install -y --no-install-recommends kvmatrix-no-such-pkg');
  });

  it('succeeds without installing anything when every tool is present, even as non-root', async () => {
    // What `npm test` provisioned before the unit tests run (`provision --for test`: the arches of configs/matrix.ci.yaml).
    const ci = loadMatrixConfig(join(configsDir, 'matrix.ci.yaml'));
    await assert.doesNotReject(provision(hostRequirements(ci.arches.map((a) => getArch(a)), []), silentReporter, false));
  });

  it('provisions a third arch from its profile alone: qemu-system-misc, the riscv64 cross gcc and its static libc', () => {
    const rv = hostRequirements([getArch('riscv64')], []).map((r) => `${r.name}=${r.package}`);
    for (const want of ['qemu-system-riscv64=qemu-system-misc', 'riscv64-linux-gnu-gcc=gcc-riscv64-linux-gnu', 'libc6-dev-riscv64-cross=libc6-dev-riscv64-cross']) {
      assert.ok(rv.includes(want), `${want} in ${rv.join(', ')}`);
    }
  });

  it('gives an arch that is only built for (the tests cross-build every profile) its cross compiler and no QEMU', () => {
    const names = hostRequirements([getArch('x86_64')], [], { forTests: true, buildOnly: allArches() }).map((r) => `${r.name}=${r.package}`);
    for (const want of ['qemu-system-x86_64=qemu-system-x86', 'riscv64-linux-gnu-gcc=gcc-riscv64-linux-gnu', 'libc6-dev-riscv64-cross=libc6-dev-riscv64-cross', 'aarch64-linux-gnu-gcc=gcc-aarch64-linux-gnu']) {
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    }
    assert.ok(!names.some((n) => n.startsWith('qemu-system-riscv64') || n.startsWith('qemu-system-aarch64')), names.join(', '));
    assert.equal(names.filter((n) => n.startsWith('qemu-system-x86_64')).length, 1);
  });
});
