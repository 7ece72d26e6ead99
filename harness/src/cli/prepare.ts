// What every command that builds or boots does first, in this order: check
// the plan (nothing created yet), then provision host tools (apt), then run.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { allArches, getArch } from '../arch/profile.ts';
import type { MatrixConfig } from '../plan/config.ts';
import { assertPlan, checkSourcesResolvable, planError, type PlanFacts, type PlanScope } from '../plan/check.ts';
import { cellDirName } from '../results/paths.ts';
import { debianPackageInfo, hostSuiteFacts, offeredDebianSourceNames } from '../source/debian.ts';
import { loadDebianArchive, suiteNames, type DebianArchive } from '../source/debian-archive.ts';
import { cacheDir } from '../util/paths.ts';
import { hostRequirements } from '../provision/requirements.ts';
import { provision } from '../provision/check.ts';
import type { CliContext } from './args.ts';

/**
 * The real host: apt's package lists, each Debian suite's private lists
 * (configs/debian-archive.yaml, loaded only when a source names a suite), the
 * arch registry on disk, the real cell directory names.
 */
export function hostPlanFacts(): PlanFacts {
  let archive: DebianArchive | undefined;
  const debianArchive = () => (archive ??= loadDebianArchive());
  return {
    debianPackage: debianPackageInfo,
    debianOffered: offeredDebianSourceNames,
    debianSuites: () => suiteNames(debianArchive()),
    debianSuiteOffer: (suite) => hostSuiteFacts(cacheDir(), debianArchive(), suite),
    arches: allArches(),
    cellDirName,
  };
}

/** Debian source packages the host must have installed for the given kernels (default: all); a suite's are downloaded, never installed. */
export function debianSourcesOf(cfg: MatrixConfig, kernelIds?: readonly string[]): string[] {
  const kernels = cfg.kernels.filter((k) => !kernelIds || kernelIds.includes(k.id));
  return [...new Set(kernels.flatMap((k) => (k.source.provider === 'debian' && k.source.suite === undefined ? [k.source.package] : [])))];
}

export interface RunScope extends PlanScope {
  /** Arches this run builds for (default: the config's). */
  arches?: readonly string[];
  /** Also what the test suites need (Chromium for the report test): `provision --for test`. */
  forTests?: boolean;
}

/** Install (as root) or name what the run needs: QEMU and toolchains for its arches, its Debian sources. */
export async function provisionFor(c: CliContext, cfg: MatrixConfig, scope: RunScope = {}): Promise<void> {
  const started = Date.now();
  const profiles = [...new Set(scope.arches ?? cfg.arches)].map(getArch);
  // The tests cross-build the selftests for every arch profile, booted or not.
  const buildOnly = scope.forTests ? allArches() : [];
  await provision(hostRequirements(profiles, debianSourcesOf(cfg, scope.kernels), { forTests: scope.forTests, buildOnly }), c.ctx.report);
  c.ctx.report({ kind: 'info', stage: 'provision', text: `host tools ok (${Date.now() - started} ms)` });
}

/** Plan check, then provisioning: a bad config never installs, creates or unpacks anything. */
export async function prepareRun(c: CliContext, cfg: MatrixConfig, scope: RunScope = {}): Promise<void> {
  await assertPlan(cfg, hostPlanFacts(), scope);
  await provisionFor(c, cfg, scope);
}

/** Only that the Debian sources are known to apt (provision installs them; nothing else matters there). */
export async function assertSourcesKnown(cfg: MatrixConfig): Promise<void> {
  const facts = hostPlanFacts();
  const err = planError((await checkSourcesResolvable(cfg, facts)).filter((p) => p.code.startsWith('SOURCE_')));
  if (err) throw err;
}

/**
 * An output directory must be a directory or creatable as one: an existing
 * file, or a file in the way above it, is refused before anything is written.
 */
export function assertOutputDir(flag: string, dir: string): string {
  const abs = resolve(dir);
  let p = abs;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch (cause) {
    throw new UserError('OUT_DIR_INVALID', `${flag} ${abs}: cannot look at ${p}`, { cause, hint: 'choose a directory you can write' });
  }
  if (!isDir) {
    throw new UserError('OUT_DIR_INVALID', p === abs ? `${flag} ${abs} is a file, not a directory` : `${flag} ${abs}: ${p} is a file, not a directory`, {
      hint: `${flag} takes a directory (created when missing)`,
    });
  }
  try {
    accessSync(p, constants.W_OK);
  } catch (cause) {
    throw new UserError('OUT_DIR_INVALID', `${flag} ${abs}: ${p} is not writable`, { cause, hint: 'choose a directory you can write, or fix its permissions' });
  }
  return abs;
}
