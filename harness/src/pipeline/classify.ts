// Which cell state a stage failure means. Pure, and the one place that
// decides whose fault a failure is: the kernel under test's own failures
// (panic at boot, a boot that hangs before init starts sshd, a suite that
// hangs, a panic mid-suite) are answers about that kernel; only what the
// harness or host caused (qemu dying without a panic, SSH lost while the
// console is healthy, a tool or a download missing) is infrastructure.
import type { StageName } from '../errors.ts';
import type { CellState } from '../results/types.ts';

export interface FailureFacts {
  kind: 'user' | 'infra';
  code: string;
}

/** Error codes that are the kernel's doing, wherever they surface. */
export const KERNEL_FAILURE_CODES: Readonly<Record<string, CellState>> = {
  BOOT_PANIC: 'boot-failed',
  // No "sshd started" line before the boot timeout: the kernel (or its init) hung.
  BOOT_TIMEOUT: 'boot-failed',
  KERNEL_PANIC: 'crashed',
  SUITE_TIMEOUT: 'timeout',
};

export function stateForFailure(stage: StageName, err: FailureFacts): CellState {
  const kernel = KERNEL_FAILURE_CODES[err.code];
  if (kernel && (stage === 'boot' || stage === 'run')) return kernel;
  switch (stage) {
    case 'patch':
      if (err.kind !== 'user') return 'infra-error';
      return err.code === 'PATCH_ALREADY_PRESENT' ? 'already-present' : 'patch-failed';
    case 'config':
    case 'build': return err.kind === 'user' ? 'build-failed' : 'infra-error';
    default: return 'infra-error';
  }
}

/** Infrastructure failures are worth one more boot; the kernel's own answers are not. */
export function worthRetry(state: CellState): boolean {
  return state === 'infra-error';
}
