// `kvmatrix bisect`: argv to a bisection request, the answer to an exit code.
// The config supplies the suite that holds the case, the variant's patches,
// timeouts and (with --versions) the kernels; everything is checked before
// anything is cloned, built or booted.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { canonicalArchName } from '../arch/profile.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { kernelArches, loadMatrixConfig, type KernelEntry, type MatrixConfig, type SuiteEntry, type VariantEntry } from '../plan/config.ts';
import { resolveGitUrl } from '../source/git-url.ts';
import { bisectCommits } from '../bisect/commits.ts';
import { bisectVersions } from '../bisect/versions.ts';
import { bisectExitCode } from '../bisect/record.ts';
import { accelOption, cliCommand, configOption, configPath, defineCommand, type CliContext, type OptionValues } from './args.ts';
import { assertOutputDir, prepareRun } from './prepare.ts';

export const bisectSpec = defineCommand({
  name: 'bisect',
  summary: 'find the first commit (or version) where a case starts failing, or with --fixed passing',
  description: 'Drive git bisect over a git source in one work tree with incremental builds: each step builds the commit, boots it and runs '
    + 'only the suite that holds the case. A pass or fail is the answer; a build failure, a patch that does not apply, a crash or an '
    + 'infrastructure error is a skip, never a guess. Without --fixed, --good is the older end (the case passes) and --bad the newer '
    + '(it fails); with --fixed, --bad is the older end and the answer is the first commit where the case passes. With --versions, '
    + 'the kernels of the config, ordered by version, are bisected instead. Writes bisect.json, bisect.md and per-step logs; '
    + 'an interrupted bisection of the same request resumes. Exit 0 with an answer, 1 when skips hide it, 69 when the host failed.',
  options: {
    case: { type: 'string', value: 'SUITE/CASE', required: true, description: 'the case, as in the matrix rows, e.g. softdirty-uffdwp/shmem_memfd_unprotect_softdirty' },
    good: { type: 'string', value: 'REF', description: 'a commit where the case passes (branch, tag, sha, HEAD~N)' },
    bad: { type: 'string', value: 'REF', description: 'a commit where the case fails' },
    fixed: { type: 'boolean', description: 'look for the first commit where the case passes (--bad is then the older end)' },
    source: { type: 'string', value: 'GIT', description: "git URL or local repository (default: the config's one git kernel)" },
    versions: { type: 'boolean', description: 'bisect the kernels of the config by version instead of commits' },
    kernel: { type: 'string', value: 'ID', multiple: true, description: 'with --versions: only these kernels (default: all)' },
    config: configOption,
    arch: { type: 'string', value: 'ARCH', description: "arch to build and boot (default: the config's first)" },
    variant: { type: 'string', value: 'NAME', description: "variant whose patches go on top of every step (default: base)" },
    accel: accelOption,
    rebuild: { type: 'boolean', description: 'build every step even when the build cache has the commit' },
    force: { type: 'boolean', description: 'start a fresh bisection instead of resuming an unfinished one' },
    out: { type: 'string', value: 'DIR', description: 'write the bisection into DIR instead of results/<run-id>' },
  },
  examples: [
    'kvmatrix bisect --case softdirty-uffdwp/shmem_memfd_unprotect_softdirty --fixed --bad v6.2 --good v6.3-rc1 --source ~/linux',
    'kvmatrix bisect --case softdirty-uffdwp/shmem_anon_unprotect_softdirty --versions --arch x86_64',
  ],
});

type BisectValues = OptionValues<typeof bisectSpec.options>;

/** The suite holding the case; a kselftest suite narrowed to the case's program. */
export function suiteForCase(cfg: MatrixConfig, caseId: string): SuiteEntry {
  const [suiteName, program] = caseId.split('/');
  const suite = cfg.suites.find((s) => s.name === suiteName);
  if (!suite || !program) {
    throw new UserError('UNKNOWN_SUITE', `--case ${caseId}: ${suite ? 'no case after the suite' : `unknown suite "${suiteName}" in ${cfg.file}`}. Available: ${cfg.suites.map((s) => `${s.name}/...`).join(', ')}`, {
      hint: 'name the case as the matrix rows do: SUITE/CASE',
    });
  }
  return suite.kind === 'kselftest' ? { ...suite, only: [program] } : suite;
}

function pick<T>(what: string, asked: string | undefined, items: T[], name: (t: T) => string, cfg: MatrixConfig, fallback: T | undefined): T {
  const found = asked === undefined ? fallback : items.find((t) => name(t) === asked);
  if (found === undefined) throw new UserError(`UNKNOWN_${what.toUpperCase()}`, `Unknown ${what} "${asked}" in ${cfg.file}. Available: ${items.map(name).join(', ')}`, { hint: `pass one of those with --${what}` });
  return found;
}

/** The git source: --source, else the config's only git kernel. */
function gitSource(cfg: MatrixConfig, values: BisectValues): string {
  if (values.source !== undefined) return resolveGitUrl(values.source, process.cwd());
  const gits = cfg.kernels.flatMap((k) => (k.source.provider === 'git' ? [k.source.url] : []));
  if (gits.length !== 1) {
    throw new UserError('BISECT_NO_SOURCE', `${cfg.file} has ${gits.length === 0 ? 'no' : gits.length} git kernel(s); which repository to bisect?`, { hint: 'pass --source with a git URL or the path of a local repository' });
  }
  return gits[0] as string;
}

function checkMode(values: BisectValues): void {
  if (values.versions) {
    const extra = (['good', 'bad', 'source'] as const).filter((f) => values[f] !== undefined);
    if (extra.length > 0) throw new UserError('USAGE', `--versions bisects the config's kernels: --${extra.join(', --')} do(es) not apply`, { hint: 'drop them, or drop --versions to bisect commits' });
    return;
  }
  if (values.good === undefined || values.bad === undefined) throw new UserError('USAGE', 'bisect needs --good REF and --bad REF (or --versions)', { hint: 'see kvmatrix bisect --help' });
  if (values.kernel !== undefined) throw new UserError('USAGE', '--kernel applies to --versions only', { hint: 'use --source for the repository to bisect' });
}

interface Common {
  cfg: MatrixConfig;
  caseId: string;
  suite: SuiteEntry;
  arch: string;
  variant: VariantEntry;
  accel: AccelPolicy;
  outDir?: string;
}

function common(values: BisectValues): Common {
  const cfg = loadMatrixConfig(configPath(values.config));
  const caseId = values.case as string;
  const suite = suiteForCase(cfg, caseId);
  const arch = pick('arch', values.arch === undefined ? undefined : canonicalArchName(values.arch), cfg.arches, (a) => a, cfg, cfg.arches[0]);
  const variant = pick('variant', values.variant, cfg.variants, (v) => v.name, cfg, cfg.variants.find((v) => v.name === 'base'));
  const outDir = values.out !== undefined ? assertOutputDir('--out', values.out) : undefined;
  return { cfg, caseId, suite, arch, variant, accel: values.accel ?? cfg.accel, outDir };
}

/** The config a step runs with: one suite, the variant (and base), the kernels of this bisection, no expectations. */
export function stepConfig(cfg: MatrixConfig, suite: SuiteEntry, arch: string, variant: VariantEntry, kernels: KernelEntry[]): MatrixConfig {
  const variants = variant.name === 'base' ? [variant] : [{ name: 'base', patches: [] }, { ...variant, kernels: undefined }];
  return { ...cfg, kernels, suites: [suite], variants, arches: [arch], expectations: [] };
}

function narrowed(c: Common, kernels: KernelEntry[]): MatrixConfig {
  return stepConfig(c.cfg, c.suite, c.arch, c.variant, kernels);
}

async function runCommits(cli: CliContext, c: Common, values: BisectValues): Promise<{ runDir: string; code: number }> {
  const source = gitSource(c.cfg, values);
  // The plan check sees the repository as a git kernel (its ref is checked when the bisection resolves it).
  const cfg = narrowed(c, [{ id: 'bisect', source: { provider: 'git', url: source, ref: 'HEAD' } }]);
  await prepareRun(cli, cfg, { kernels: ['bisect'], arches: [c.arch] });
  const { runDir, record } = await bisectCommits(cli.ctx, {
    config: cfg, caseId: c.caseId, suite: c.suite.name, arch: c.arch, variant: c.variant, fixed: values.fixed ?? false,
    source, good: values.good as string, bad: values.bad as string, accel: c.accel, rebuild: values.rebuild, force: values.force, outDir: c.outDir,
  });
  return { runDir, code: bisectExitCode(record.answer) };
}

async function runVersions(cli: CliContext, c: Common, values: BisectValues): Promise<{ runDir: string; code: number }> {
  // By default the kernels the config runs on this arch (kernels[].arches); one named here must run on it.
  const onArch = c.cfg.kernels.filter((k) => kernelArches(c.cfg, k).includes(c.arch));
  const kernels = (values.kernel ?? onArch.map((k) => k.id)).map((id) => pick('kernel', id, c.cfg.kernels, (k) => k.id, c.cfg, undefined));
  const off = kernels.filter((k) => !onArch.includes(k));
  if (off.length > 0) {
    throw new UserError('USAGE', `kernel ${off.map((k) => `"${k.id}"`).join(', ')} of ${c.cfg.file} does not run on ${c.arch} (kernels[].arches)`, { hint: `name kernels that do: ${onArch.map((k) => k.id).join(', ')}` });
  }
  if (kernels.length < 2) throw new UserError('USAGE', '--versions needs at least two kernels', { hint: 'add kernels to the config, or name more with --kernel' });
  const cfg = narrowed(c, kernels);
  await prepareRun(cli, cfg, { kernels: kernels.map((k) => k.id), arches: [c.arch] });
  const { runDir, record } = await bisectVersions(cli.ctx, {
    config: cfg, kernels, caseId: c.caseId, suite: c.suite.name, arch: c.arch, variant: c.variant, fixed: values.fixed ?? false,
    accel: c.accel, rebuild: values.rebuild, force: values.force, outDir: c.outDir,
  });
  return { runDir, code: bisectExitCode(record.answer) };
}

export const bisectCommand = cliCommand(bisectSpec, async (cli, { values }) => {
  checkMode(values);
  const c = common(values);
  const { runDir, code } = values.versions ? await runVersions(cli, c, values) : await runCommits(cli, c, values);
  process.stdout.write(`${await readFile(join(runDir, 'bisect.md'), 'utf8')}\n`);
  process.stdout.write(`reports: ${runDir}/{bisect.json,bisect.md}, steps/\n`);
  return code;
});
