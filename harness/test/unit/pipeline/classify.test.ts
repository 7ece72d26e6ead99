import assert from 'node:assert/strict';
import { stateForFailure, worthRetry } from '../../../src/pipeline/classify.ts';
import type { StageName } from '../../../src/errors.ts';

describe('stateForFailure: whose fault a failure is', () => {
  const table: [StageName, 'user' | 'infra', string, string][] = [
    ['patch', 'user', 'PATCH_DOES_NOT_APPLY', 'patch-failed'],
    // The kernel already has the change: not built, not a failure.
    ['patch', 'user', 'PATCH_ALREADY_PRESENT', 'already-present'],
    ['build', 'user', 'KERNEL_BUILD_FAILED', 'build-failed'],
    ['config', 'user', 'KCONFIG_MISSING_OPTIONS', 'build-failed'],
    ['build', 'infra', 'BUILD_TIMEOUT', 'infra-error'],
    ['source', 'infra', 'DOWNLOAD_CONNECT_FAILED', 'infra-error'],
    ['image', 'infra', 'APT_DOWNLOAD_FAILED', 'infra-error'],
    // The kernel under test's own failures are answers, not accidents.
    ['boot', 'infra', 'BOOT_PANIC', 'boot-failed'],
    ['boot', 'infra', 'BOOT_TIMEOUT', 'boot-failed'],
    ['run', 'user', 'KERNEL_PANIC', 'crashed'],
    ['run', 'user', 'SUITE_TIMEOUT', 'timeout'],
    // What the harness or host caused.
    ['boot', 'infra', 'BOOT_QEMU_EXITED', 'infra-error'],
    ['boot', 'infra', 'SSH_TIMEOUT', 'infra-error'],
    ['boot', 'infra', 'KVM_UNUSABLE', 'infra-error'],
    ['run', 'infra', 'SSH_LOST', 'infra-error'],
  ];
  for (const [stage, kind, code, want] of table) {
    it(`${code} in ${stage} -> ${want}`, () => assert.equal(stateForFailure(stage, { kind, code }), want));
  }
  it('retries only infrastructure failures', () => {
    assert.equal(worthRetry('infra-error'), true);
    for (const s of ['boot-failed', 'crashed', 'timeout', 'patch-failed', 'already-present', 'build-failed'] as const) assert.equal(worthRetry(s), false);
  });
});
