// exec and shell refuse bad usage and bad cells before they provision, build or boot.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserError, configDir, kvmatrix, sandbox, snapshot, validYaml, type Sandbox } from './helpers.ts';

describe('kvmatrix exec / shell: usage and plan errors before any boot', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(() => sb.cleanup());

  it('says to put the guest command after -- (not "Unknown option -r")', async () => {
    const r = await kvmatrix(sb, ['exec', 'foo', 'uname', '-r']);
    assertUserError(r, 'USAGE', 'put the guest command after --: kvmatrix exec foo -- uname -r');
    assert.doesNotMatch(r.stderr, /Unknown option/i);
    assertUserError(await kvmatrix(sb, ['exec', 'foo', '-r']), 'USAGE', 'kvmatrix exec foo -- -r');
  });

  it('validates --accel and --timeout (never NaN, never a silent default)', async () => {
    assertUserError(await kvmatrix(sb, ['exec', '6.1/x86_64/base', '--accel', 'banana', '--', 'true']), 'USAGE', '--accel must be one of: auto, kvm, tcg; got "banana"');
    assertUserError(await kvmatrix(sb, ['exec', '6.1/x86_64/base', '--timeout', 'abc', '--', 'true']), 'USAGE', '--timeout takes a non-negative duration', '"abc"');
    assertUserError(await kvmatrix(sb, ['shell', '6.1/x86_64/base', '--accel', 'fast']), 'USAGE', 'must be one of: auto, kvm, tcg');
  });

  it('needs a cell, and a command or --upload', async () => {
    assertUserError(await kvmatrix(sb, ['exec']), 'USAGE', 'needs CELL');
    assertUserError(await kvmatrix(sb, ['exec', '6.1/x86_64/base']), 'USAGE', 'needs a guest command after --');
    assertUserError(await kvmatrix(sb, ['shell']), 'USAGE', 'needs CELL');
  });

  it('refuses an unknown cell or a missing --upload file, listing the cells, before provisioning', async () => {
    const file = configDir(sb.root, () => validYaml());
    assertUserError(await kvmatrix(sb, ['exec', '6.1/x86_64/nope', '--config', file, '--', 'true']), 'UNKNOWN_CELL', 'Available: 6.1/x86_64/base, 6.1/x86_64/patched');
    assertUserError(await kvmatrix(sb, ['exec', '6.1/amd64/base', '--config', file, '--upload', join(sb.root, 'nope'), '--', 'x']), 'UPLOAD_MISSING');
    assert.equal(existsSync(sb.cache), false);
  });

  it('runs the plan check for the cell it boots (an arch alias names the same cell)', async () => {
    const before = snapshot(sb.results);
    const file = configDir(sb.root, () => validYaml({ variants: '  - { name: base }\n  - { name: patched, patches: [patches/nope] }' }));
    const r = await kvmatrix(sb, ['exec', '6.1/amd64/patched', '--config', file, '--', 'true']);
    assertUserError(r, 'PATCH_MISSING', `${file}: /variants/1/patches/0:`);
    assertUserError(await kvmatrix(sb, ['shell', '6.1/x86_64/base', '--config', file]), 'PATCH_MISSING');
    assert.deepEqual(snapshot(sb.results), before);
    assert.equal(existsSync(sb.cache), false);
  });
});
