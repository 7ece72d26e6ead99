import { run } from '../exec/run.ts';

const versions = new Map<string, string | null>();

export async function qemuVersion(binary: string): Promise<string | null> {
  if (versions.has(binary)) return versions.get(binary) ?? null;
  const r = await run(binary, ['--version']);
  const v = r.exitCode === 0 ? /version (\S+)/.exec(r.stdout)?.[1] ?? null : null;
  versions.set(binary, v);
  return v;
}
