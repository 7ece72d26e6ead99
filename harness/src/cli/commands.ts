// The command registry, and the small commands that need no module of their own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError, systemErrorCode, UserError, EXIT } from '../errors.ts';
import { loadMatrixConfig } from '../plan/config.ts';
import { doctor } from '../provision/doctor.ts';
import { parseKtap } from '../parse/ktap.ts';
import { scanConsole } from '../parse/console.ts';
import { configsDir } from '../util/paths.ts';
import { cliCommand, configOption, configPath, defineCommand, DEFAULT_CONFIG, type CliCommand } from './args.ts';
import { assertSourcesKnown, debianSourcesOf, provisionFor } from './prepare.ts';
import { matrixCommand } from './matrix.ts';
import { validateCommand } from './validate.ts';
import { cacheCommand } from './cache.ts';
import { reportCommand, mergeCommand } from './report.ts';
import { execCommand, shellCommand } from './exec.ts';
import { benchCommand } from './bench.ts';
import { bisectCommand } from './bisect.ts';

const doctorCommand = cliCommand(defineCommand({
  name: 'doctor',
  summary: 'tools, versions, KVM per arch, disk, fixes',
  description: 'Show every host tool with its version, whether KVM is usable per arch, free disk in the cache and the Debian kernel sources apt offers. Exit 69 when something is missing.',
  options: { config: configOption },
}), async (_c, { values }) => {
  const cfg = loadMatrixConfig(configPath(values.config));
  const r = await doctor(debianSourcesOf(cfg));
  process.stdout.write(`${r.text}\n`);
  return r.ok ? EXIT.validated : EXIT.infra;
});

const PROVISION_TARGETS = { matrix: DEFAULT_CONFIG, test: join(configsDir, 'matrix.ci.yaml') } as const;

const provisionCommand = cliCommand(defineCommand({
  name: 'provision',
  summary: 'install missing host tools (apt, as root)',
  description: 'Install the host tools and Debian kernel sources a config needs with one apt-get install (as root); as a normal user, print the '
    + 'sudo line and exit 2. Idempotent: costs well under a second when everything is there.',
  options: {
    for: { type: 'enum', choices: ['matrix', 'test'], description: 'what to provision for: matrix = configs/matrix.yaml, test = configs/matrix.ci.yaml (what npm test runs)' },
    config: { ...configOption, description: 'provision for this matrix config instead (wins over --for)' },
  },
}), async (c, { values }) => {
  const cfg = loadMatrixConfig(configPath(values.config ?? (values.for ? PROVISION_TARGETS[values.for] : undefined)));
  await assertSourcesKnown(cfg);
  await provisionFor(c, cfg, { forTests: values.for === 'test' });
  return EXIT.validated;
});

/** A file the user named: a missing file, a directory or a permission problem is theirs; anything else is the machine's. */
async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = systemErrorCode(err);
    if (code === 'ENOENT') throw new UserError('FILE_NOT_FOUND', `${file}: no such file`, { hint: 'give the path of a saved console log or selftest output' });
    if (code === 'EISDIR') throw new UserError('NOT_A_FILE', `${file} is a directory`, { hint: 'give a log file, e.g. results/latest/cells/<cell>/console.log' });
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR') throw new UserError('FILE_UNREADABLE', `${file} cannot be read (${code})`, { hint: 'check the path and its permissions' });
    throw new InfraError('FILE_IO', `${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

const parseCommand = cliCommand(defineCommand({
  name: 'parse',
  summary: 'parse a saved KTAP/console log and print JSON',
  description: 'Parse a saved log offline: the KTAP results in it and the console findings (panics, oopses, WARNs, KASAN...), as JSON on stdout.',
  positionals: [{ name: 'FILE', required: true, description: 'a console log or selftest output, e.g. results/latest/cells/<cell>/console.log' }],
  options: {},
}), async (_c, { positionals }) => {
  const text = await readUserFile(positionals[0] as string);
  process.stdout.write(`${JSON.stringify({ ktap: parseKtap(text), console: scanConsole(text) }, null, 2)}\n`);
  return EXIT.validated;
});

export const commands: Record<string, CliCommand> = {
  matrix: matrixCommand,
  validate: validateCommand,
  report: reportCommand,
  merge: mergeCommand,
  exec: execCommand,
  shell: shellCommand,
  doctor: doctorCommand,
  provision: provisionCommand,
  cache: cacheCommand,
  parse: parseCommand,
  bench: benchCommand,
  bisect: bisectCommand,
};
