// The CLI only turns argv into requests and outcomes into exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { configsDir, cacheDir } from '../util/paths.ts';
import { describeError, exitCodeFor, EXIT, UserError } from '../errors.ts';
import { defaultReporter } from '../progress-tty.ts';
import { installSignalHandlers, liveGroups } from '../exec/process-groups.ts';
import type { Ctx } from '../stage.ts';
import { commands } from './commands.ts';

export const USAGE = `usage: kvmatrix <command> [options]

commands:
  matrix [--config F] [--kernel ID] [--arch A] [--variant V] [--jobs N] [--shard I/N]
         [--accel auto|kvm|tcg] [--rebuild] [--force] [--out DIR]
                       run the patch-validation matrix (default: configs/matrix.yaml)
  report RUN_DIR       re-render matrix.md, report.html, junit.xml from saved results
  merge DIR... --out D combine shard results into one run
  exec CELL [--config F] [--upload FILE] -- CMD...
                       boot a cell's kernel, run a command in the guest, return its exit code
  shell CELL [--config F]
                       interactive SSH shell in a cell's booted guest
  doctor               tools, versions, KVM, disk, fixes
  provision [--for matrix|test] [--config F]
                       install missing host tools (apt, as root)
  cache ls | cache gc [--older-than DAYS] [--max-size GB] [--all]
  parse FILE           parse a saved KTAP/console log and print JSON
  bench                measure build and run costs into results/bench/

exit codes: 0 validated, 1 test failure or regression, 2 user error, 69 infrastructure error`;

export const DEFAULT_CONFIG = join(configsDir, 'matrix.yaml');

export interface CliContext {
  ctx: Ctx;
  argv: string[];
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? EXIT.validated : EXIT.usage;
  }
  const abort = new AbortController();
  const progress = defaultReporter();
  const ctx: Ctx = { cacheDir: cacheDir(), report: progress.report, signal: abort.signal };
  installSignalHandlers(() => abort.abort());
  const handler = commands[command];
  if (!handler) {
    process.stderr.write(`kvmatrix: unknown command "${command}". Available: ${Object.keys(commands).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    return await handler({ ctx, argv: rest });
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    progress.stop();
    liveGroups.killAll();
  }
}

export function parseOrThrow<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UserError('USAGE', `${(err as Error).message}\n\n${USAGE}`);
  }
}

export function configPath(p: string | undefined): string {
  const f = p ? resolve(p) : DEFAULT_CONFIG;
  if (!existsSync(f)) throw new UserError('CONFIG_MISSING', `matrix config ${f} not found`, { hint: `the default is ${DEFAULT_CONFIG}` });
  return f;
}
