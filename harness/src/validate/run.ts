// `kvmatrix validate PATCH...`: mail in, answer out, no YAML by hand. The
// mail is read (mail/), each way to take the patch becomes a variant whose
// series is written into the run directory, the suites follow from the files
// it touches (suites.ts), and the generated config.yaml next to them runs
// exactly like `kvmatrix matrix --config <run>/config.yaml` would (it can be
// rerun that way). validate.json holds what the reply needs besides the
// results, so the reply (reply.txt) is re-rendered with every report.
import { mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Ctx } from '../stage.ts';
import type { AccelPolicy } from '../arch/host.ts';
import { UserError } from '../errors.ts';
import { loadMatrixConfig, type MatrixConfig } from '../plan/config.ts';
import { readMail, type Intake, type MailInput } from '../mail/intake.ts';
import { filePath, parseDiff } from '../patch/diff.ts';
import { runMatrix } from '../matrix/run.ts';
import type { RunSummary } from '../results/types.ts';
import type { ReplyContext } from '../report/reply.ts';
import { resultsRoot } from '../util/paths.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { run } from '../exec/run.ts';
import { chooseSuites, loadSuiteMap, type SuiteChoice } from './suites.ts';
import { patchFileText, slug, validateConfig, variantsOf, type VariantPlan } from './plan.ts';

export interface ValidateRequest {
  /** Patch files, directories of them, or "-" for stdin. */
  inputs: readonly string[];
  readStdin: () => Promise<string>;
  /** The default set the kernels, arches, accel and known expectations come from. */
  defaultsFile: string;
  suiteMapFile?: string;
  kernels?: readonly string[];
  arches?: readonly string[];
  suites?: readonly string[];
  outDir?: string;
  /** "Name <address>" for the reply's Tested-by: line; null leaves a placeholder. */
  testedBy: string | null;
}

export interface PreparedValidation {
  runDir: string;
  /** The run went to --out: results/latest is left alone. */
  explicitOut: boolean;
  config: MatrixConfig;
  intake: Intake;
  variants: VariantPlan[];
  choice: SuiteChoice;
  reply: ReplyContext;
}

/** Relative to the current directory when below it, else absolute. */
function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') || r === '' ? p : r;
}

const PATCH_FILE = /\.(?:patch|diff|eml|mbx|mbox|txt)$/;

/** A directory of format-patch files: its `series` in order, else its patch-like files by name. */
async function directoryInputs(dir: string): Promise<string[]> {
  const series = join(dir, 'series');
  if (existsSync(series)) {
    return (await readFile(series, 'utf8')).split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).map((f) => join(dir, f));
  }
  const files = (await readdir(dir)).filter((f) => PATCH_FILE.test(f)).sort();
  if (files.length === 0) throw new UserError('PATCH_MISSING', `${dir} has no .patch, .eml, .mbx or .mbox file and no series file`, { hint: 'give the directory git format-patch -o wrote, or the files themselves' });
  return files.map((f) => join(dir, f));
}

export async function readInputs(args: readonly string[], readStdin: () => Promise<string>): Promise<MailInput[]> {
  const out: MailInput[] = [];
  for (const a of args) {
    if (a === '-') {
      out.push({ name: 'stdin', text: await readStdin() });
      continue;
    }
    const abs = resolve(a);
    const st = await stat(abs).catch(() => null);
    if (!st) throw new UserError('PATCH_MISSING', `${a}: no such file or directory`, { hint: 'give a patch file, an mbox, a saved mail, a directory of format-patch files, or - for stdin' });
    const files = st.isDirectory() ? await directoryInputs(abs) : [abs];
    for (const f of files) out.push({ name: basename(f), text: await readFile(f, 'utf8') });
  }
  return out;
}

function newRunDir(intake: Intake): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join(resultsRoot(), `${t}-validate-${slug(intake.series[0]?.subject.title ?? 'patch', 40)}`);
}

/** Read the mail, choose suites, write the series and config.yaml into the run directory; nothing is built yet. */
export async function prepareValidation(ctx: Ctx, req: ValidateRequest): Promise<PreparedValidation> {
  const intake = await readMail(await readInputs(req.inputs, req.readStdin));
  const defaults = loadMatrixConfig(req.defaultsFile);
  const variants = variantsOf(intake);
  const touched = [...new Set(variants.flatMap((v) => v.patches).flatMap((p) => parseDiff(p.diff).files.map(filePath)))].sort();
  const choice = chooseSuites(loadSuiteMap(req.suiteMapFile), touched, req.suites ?? []);
  const doc = validateConfig(defaults, intake, variants, choice.suites, { kernels: req.kernels, arches: req.arches });
  const runDir = req.outDir ? resolve(req.outDir) : newRunDir(intake);
  await writeSeries(runDir, variants);
  const header = `# Generated by kvmatrix validate from ${req.inputs.join(' ')}.\n# Rerun: kvmatrix matrix --config ${join(runDir, 'config.yaml')}\n`;
  await writeFileAtomically(join(runDir, 'config.yaml'), `${header}${stringify(doc, { lineWidth: 0 })}`);
  const config = loadMatrixConfig(join(runDir, 'config.yaml'));
  const reply: ReplyContext = {
    thread: intake.thread,
    variants: variants.map((v) => ({ name: v.name, label: v.label })),
    suites: choice.suites.map((s) => s.name),
    notes: intake.notes,
    testedBy: req.testedBy,
  };
  await writeFileAtomically(join(runDir, 'validate.json'), `${JSON.stringify({ inputs: req.inputs, touched, suiteReasons: choice.reasons, reply }, null, 2)}\n`);
  for (const line of [
    `mail: ${intake.series.length} patch(es) of "${intake.thread.subject}"${intake.fixups.length ? `, ${intake.fixups.length} fixup(s)` : ''}; variants: ${variants.map((v) => `${v.name} (${v.label})`).join(', ')}`,
    ...intake.notes.map((n) => `mail: ${n}`),
    ...choice.reasons.map((r) => `suites: ${r}`),
    `config: ${shortPath(join(runDir, 'config.yaml'))}`,
  ]) ctx.report({ kind: 'info', stage: 'patch', text: line });
  return { runDir, explicitOut: req.outDir !== undefined, config, intake, variants, choice, reply };
}

async function writeSeries(runDir: string, variants: readonly VariantPlan[]): Promise<void> {
  for (const v of variants) {
    const dir = join(runDir, 'patches', v.name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const names = v.patches.map((p, i) => `${String(i + 1).padStart(4, '0')}-${slug(p.subject.title)}.patch`);
    for (const [i, p] of v.patches.entries()) await writeFile(join(dir, names[i] as string), patchFileText(p));
    await writeFile(join(dir, 'series'), `# ${v.description}\n${names.join('\n')}\n`);
  }
}

export interface ValidateRunOptions {
  jobs?: number;
  accel?: AccelPolicy;
  rebuild?: boolean;
}

/** Run the generated matrix like `matrix` does; reply.txt is written with the other reports. */
export async function runValidation(ctx: Ctx, p: PreparedValidation, opts: ValidateRunOptions): Promise<{ runDir: string; summary: RunSummary }> {
  const result = await runMatrix(ctx, { config: p.config, filter: {}, jobs: opts.jobs, accel: opts.accel, rebuild: opts.rebuild, outDir: p.runDir, runId: p.explicitOut ? undefined : basename(p.runDir) });
  if (!p.explicitOut) {
    const latest = join(resultsRoot(), 'latest');
    await rm(latest, { force: true });
    await symlink(basename(p.runDir), latest);
  }
  return result;
}

/** "Name <address>" from git's configuration, for the reply's Tested-by: line; null when git has none. */
export async function gitIdentity(): Promise<string | null> {
  const get = async (key: string) => {
    const r = await run('git', ['config', '--get', key], { timeoutMs: 10_000 }).catch(() => null);
    return r && r.exitCode === 0 ? r.stdout.trim() : '';
  };
  const [name, email] = [await get('user.name'), await get('user.email')];
  return name && email ? `${name} <${email}>` : null;
}
