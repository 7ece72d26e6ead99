// Check requirements cheaply (PATH lookups, stat, one dpkg-query for all
// packages) and install what is missing with one apt call when root.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from '../exec/run.ts';
import { InfraError, UserError } from '../errors.ts';
import type { Reporter } from '../progress.ts';
import type { Requirement } from './requirements.ts';

export function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

export async function installedPackages(names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const r = await run('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...names]);
  const ok = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status === 'install ok installed') ok.add(name);
  }
  return ok;
}

export interface RequirementStatus {
  req: Requirement;
  ok: boolean;
  where?: string;
}

export async function checkRequirements(reqs: readonly Requirement[]): Promise<RequirementStatus[]> {
  const debs = await installedPackages(reqs.filter((r) => r.debPackage).map((r) => r.debPackage as string));
  return reqs.map((req) => {
    if (req.command) {
      const where = findOnPath(req.command);
      return { req, ok: where !== null, where: where ?? undefined };
    }
    if (req.file) return { req, ok: existsSync(req.file), where: req.file };
    if (req.debPackage) return { req, ok: debs.has(req.debPackage) };
    return { req, ok: true };
  });
}

function isDebianLike(): boolean {
  return existsSync('/etc/debian_version') && findOnPath('apt-get') !== null;
}

/** Make sure every requirement is met; install with apt as root, else explain and stop. */
export async function provision(reqs: readonly Requirement[], report: Reporter, isRoot = process.getuid?.() === 0): Promise<void> {
  const missing = (await checkRequirements(reqs)).filter((s) => !s.ok);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((m) => m.req.package))].sort();
  const what = missing.map((m) => `${m.req.name} (${m.req.purpose})`).join(', ');
  const line = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!isDebianLike()) {
    throw new UserError('HOST_TOOLS_MISSING', `missing: ${what}`, { stage: 'provision', hint: `install the equivalents of: ${packages.join(' ')}` });
  }
  if (!isRoot) {
    throw new UserError('HOST_TOOLS_MISSING', `missing: ${what}`, { stage: 'provision', hint: `run: sudo ${line}` });
  }
  report({ kind: 'info', stage: 'provision', text: `installing ${packages.join(' ')} (missing: ${what})` });
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 30 * 60_000, onOutput: (s) => process.stderr.write(s) });
  if (r.exitCode !== 0) {
    report({ kind: 'info', stage: 'provision', text: 'apt-get install failed; running apt-get update and retrying once' });
    await run('apt-get', ['update'], { env, timeoutMs: 10 * 60_000, onOutput: (s) => process.stderr.write(s) });
    r = await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 30 * 60_000, onOutput: (s) => process.stderr.write(s) });
  }
  if (r.exitCode !== 0) {
    throw new InfraError('APT_INSTALL_FAILED', `apt-get install ${packages.join(' ')} failed (exit ${r.exitCode})`, { stage: 'provision', logTail: r.stderr.slice(-3000) });
  }
  const still = (await checkRequirements(reqs)).filter((s) => !s.ok);
  if (still.length > 0) {
    throw new InfraError('HOST_TOOLS_MISSING', `still missing after install: ${still.map((s) => s.req.name).join(', ')}`, { stage: 'provision' });
  }
}
