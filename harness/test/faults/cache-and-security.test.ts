// Cache corruption, failed downloads next to healthy cells, and the security
// promises: SSH only on 127.0.0.1, private keys 0600 and never in results,
// the guest host key pinned.
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { cellOf, faultConfig, runTracked, survivors } from './helpers.ts';
import { cacheDir } from '../../src/util/paths.ts';
import { getArch } from '../../src/arch/profile.ts';
import { buildGuestImage } from '../../src/guest/image.ts';
import { bootVm } from '../../src/boot/vm.ts';
import { GuestSsh } from '../../src/ssh/client.ts';
import { silentReporter } from '../../src/progress.ts';
import type { BuildMeta } from '../../src/kbuild/cache.ts';
import { InfraError } from '../../src/errors.ts';

const CI = 'configs/matrix.ci.yaml';

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function grepTree(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) hits.push(...grepTree(p, needle));
    else if (e.isFile() && readFileSync(p, 'utf8').includes(needle)) hits.push(p);
  }
  return hits;
}

describe('cache corruption, downloads and security (real kernel)', function () {
  this.timeout(20 * 60_000);

  for (const [what, corrupt] of [
    ['truncated image', (dir: string, meta: BuildMeta) => truncateSync(join(dir, meta.imageFile), 1000)],
    ['missing metadata', (dir: string) => unlinkSync(join(dir, 'meta.json'))],
    ['wrong hash', (dir: string, meta: BuildMeta) => writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, imageSha256: 'f'.repeat(64) }))],
  ] as const) {
    it(`7. cache corruption (${what}) is detected and rebuilt, never booted`, async () => {
      const args = ['matrix', '--config', CI, '--kernel', '6.1', '--arch', 'x86_64', '--variant', 'patched', '--force'];
      const first = await runTracked(args);
      const cell = cellOf(first.summary(), '6.1/x86_64/patched');
      assert.equal(cell.state, 'ok', cell.error?.message);
      const dir = join(cacheDir(), 'builds', 'x86_64', cell.build?.key ?? '?');
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as BuildMeta;
      corrupt(dir, meta);
      const again = await runTracked(args);
      assert.match(again.output, new RegExp(`cache entry ${cell.build?.key} is corrupt .*; rebuilding`));
      const rebuilt = cellOf(again.summary(), '6.1/x86_64/patched');
      assert.equal(rebuilt.build?.cached, false);
      assert.equal(rebuilt.state, 'ok');
      assert.equal(rebuilt.suites[0]?.cases.filter((c) => c.outcome === 'fail').length, 0, 'the rebuilt patched kernel is the patched kernel');
      const fresh = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as BuildMeta;
      assert.ok(statSync(join(dir, fresh.imageFile)).size > 100_000);
      assert.deepEqual(survivors(again.groups), []);
    });
  }

  it('8. a download that fails (connection refused) stops its cells only; the others continue', async () => {
    const { file } = faultConfig({
      kernels: [
        { id: 'unreachable', source: `{ provider: tarball, url: "http://127.0.0.1:9/linux-6.9.1.tar.xz", sha256: "${'a'.repeat(64)}" }` },
        { id: '6.1', source: '{ provider: debian, package: linux-source-6.1, suite: bookworm }' },
      ],
      suites: [{ name: 'quick', script: 'quick-ok.sh' }],
    });
    const r = await runTracked(['matrix', '--config', file]);
    const s = r.summary();
    const bad = cellOf(s, 'unreachable/x86_64/base');
    assert.equal(bad.state, 'infra-error');
    assert.equal(bad.error?.code, 'DOWNLOAD_CONNECT_FAILED');
    assert.match(bad.error?.message ?? '', /127\.0\.0\.1:9/);
    assert.equal(cellOf(s, '6.1/x86_64/base').state, 'ok');
    assert.equal(readdirSync(join(cacheDir(), 'sources')).filter((d) => d.includes('6.9.1')).length, 0, 'nothing cached');
    assert.equal(r.result.exitCode, 69);
  });

  it('security: SSH is forwarded on 127.0.0.1 only, the host key is pinned, private keys stay 0600 and out of results', async () => {
    const first = await runTracked(['matrix', '--config', CI, '--kernel', '6.1', '--arch', 'x86_64', '--variant', 'base', '--force']);
    const cell = cellOf(first.summary(), '6.1/x86_64/base');
    const arch = getArch('x86_64');
    const image = await buildGuestImage({ cacheDir: cacheDir(), report: silentReporter }, arch, '/dev/null');
    for (const f of [image.keys.clientPrivateKey, image.keys.hostKeyPath]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    const privateKey = readFileSync(image.keys.clientPrivateKey, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'))[1] ?? '';
    assert.ok(privateKey.length > 20);
    assert.deepEqual(grepTree(first.runDir, privateKey), [], 'private key material in results');
    const kernel = join(cacheDir(), 'builds', 'x86_64', cell.build?.key ?? '?', 'bzImage');
    const vm = await bootVm({ arch, accel: 'tcg', kernelImage: kernel, initrd: image.initrdPath, keys: image.keys, consoleLogPath: join(first.runDir, 'security-console.log') });
    try {
      assert.equal(await connects('127.0.0.1', vm.port), true);
      assert.equal(await connects('127.0.0.2', vm.port), false, 'hostfwd must not listen beyond 127.0.0.1');
      await assert.rejects(GuestSsh.connect({ port: vm.port, privateKeyPath: image.keys.clientPrivateKey, hostKeyBlob: Buffer.from('not the guest key') }),
        (e: unknown) => e instanceof InfraError && e.code === 'SSH_HOSTKEY_MISMATCH');
    } finally {
      await vm.shutdown();
    }
    assert.equal(vm.qemu.isRunning(), false);
  });
});
