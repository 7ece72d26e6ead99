// `kvmatrix validate PATCH...`: argv to a validation request, the plan check
// and provisioning every run gets, then the run; orchestration is
// validate/run.ts.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalArchName } from '../arch/profile.ts';
import { cellDirName } from '../results/paths.ts';
import { prepareValidation, runValidation, gitIdentity } from '../validate/run.ts';
import { accelOption, cliCommand, configPath, defineCommand } from './args.ts';
import { assertOutputDir, prepareRun } from './prepare.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const validateSpec = defineCommand({
  name: 'validate',
  summary: 'validate a patch mail: mbox, .eml, format-patch files or an archive page; no YAML',
  description: 'Read the patch as mail (an mbox or .mbx, a saved .eml, git format-patch files or their directory, a web archive page, or - for stdin), '
    + 'order the series by [PATCH vN M/K], set the cover letter aside, and offer the thread\'s fixups as a second variant. It generates a matrix '
    + '(the default set\'s kernels unless --kernels; base plus the patch variants; suites from the files the patch touches, configs/suite-map.yaml) '
    + 'into the run directory and runs it like `matrix`. A patch an archive mangled is applied after repair; one the kernel already has is said to be there. '
    + 'The run directory gets reply.txt, a reply to send to the thread, next to the usual reports and the re-runnable config.yaml.',
  positionals: [{ name: 'PATCH', required: true, variadic: true, description: 'patch files, an mbox, a directory of format-patch files, or - (stdin)' }],
  options: {
    kernels: { type: 'string', value: 'LIST', multiple: true, description: 'kernel ids of the default set, comma-separated (default: all of them)' },
    arch: { type: 'string', value: 'ARCH', multiple: true, description: 'architecture (default: the default set\'s)' },
    suite: { type: 'string', value: 'NAME', multiple: true, description: 'run this suite of configs/suite-map.yaml instead of choosing by the files touched' },
    defaults: { type: 'string', value: 'FILE', description: 'the matrix config kernels, arches, accel and known expectations come from (default: configs/matrix.yaml)' },
    jobs: { type: 'integer', min: 1, max: 64, description: 'cells run in parallel (default: from cores and memory)' },
    accel: accelOption,
    rebuild: { type: 'boolean', description: 'rebuild kernels even if the build cache has them' },
    out: { type: 'string', value: 'DIR', description: 'write the run into DIR instead of results/<time>-validate-<patch> (results/latest is left alone)' },
    'tested-by': { type: 'string', value: 'NAME <ADDR>', description: 'who the reply\'s Tested-by: line names (default: git config user.name and user.email)' },
  },
  examples: [
    'kvmatrix validate ../shared/seed/uffd-wp-softdirty-patch.eml.txt --kernels 6.1 --arch x86_64',
    'kvmatrix validate configs/patches/uffd-wp-softdirty-6.1/0001-*.patch --kernels 6.1 --arch x86_64',
    'b4 am -o - <message-id> | kvmatrix validate -',
  ],
});

export const validateCommand = cliCommand(validateSpec, async (c, { positionals, values }) => {
  const outDir = values.out !== undefined ? assertOutputDir('--out', values.out) : undefined;
  const prepared = await prepareValidation(c.ctx, {
    inputs: positionals, readStdin, defaultsFile: configPath(values.defaults), kernels: values.kernels, arches: values.arch, suites: values.suite,
    outDir, testedBy: values['tested-by'] ?? (await gitIdentity()),
  });
  const cfg = prepared.config;
  try {
    await prepareRun(c, cfg, { kernels: cfg.kernels.map((k) => k.id), arches: cfg.arches.map((a) => canonicalArchName(a)) });
  } catch (err) {
    // Nothing ran: a generated run directory with only its config in it is not left behind.
    if (!prepared.explicitOut) await rm(prepared.runDir, { recursive: true, force: true });
    throw err;
  }
  const { runDir, summary } = await runValidation(c.ctx, prepared, { jobs: values.jobs, accel: values.accel, rebuild: values.rebuild });
  process.stdout.write(await readFile(join(runDir, 'reply.txt'), 'utf8'));
  // The repaired diffs, each once: what was applied instead of the mail's own text.
  const shown = new Set<string>();
  for (const cell of summary.cells) {
    for (const m of cell.patch?.messages ?? []) {
      if (!m.repaired) continue;
      const path = join('cells', cellDirName(cell.id), m.repaired);
      const diff = await readFile(join(runDir, path), 'utf8');
      if (shown.has(diff)) continue;
      shown.add(diff);
      process.stdout.write(`\n--- repaired diff of ${m.subject ?? m.file}, as applied to ${cell.kernel.id} (${path}) ---\n${diff}`);
    }
  }
  process.stdout.write(`\nrun: ${runDir}/{reply.txt,matrix.md,report.html,results.json}\nrerun: kvmatrix matrix --config ${runDir}/config.yaml\n`);
  return summary.overall.exitCode;
});
