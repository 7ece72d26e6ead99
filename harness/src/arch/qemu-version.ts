// `qemu-system-* --version` once per binary per run ("7.2.22"), null when it does not answer.
import { run } from '../exec/run.ts';

const versions = new Map<string, string | null>();

export async function qemuVersion(binary: string): Promise<string | null> {
  if (versions.has(binary)) return versions.get(binary) ?? null;
  const r = await run(binary, ['--version'], { timeoutMs: 10_000 });
  const v = r.exitCode === 0 ? /version (\S+)/.exec(r.stdout)?.[1] ?? null : null;
  versions.set(binary, v);
  return v;
}
