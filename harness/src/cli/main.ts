// The CLI only turns argv into requests and outcomes into exit codes. Every
// error ends here, rendered one way: `error [CODE]: message` and `fix: hint`,
// exit 2 for the user's errors, 69 for the machine's; stack traces only with --debug.
import { describeError, exitCodeFor, EXIT, UserError } from '../errors.ts';
import { cacheDir } from '../util/paths.ts';
import { defaultReporter } from '../progress-tty.ts';
import { installSignalHandlers, liveGroups } from '../exec/process-groups.ts';
import type { Ctx } from '../stage.ts';
import { EXIT_CODES_HELP, GLOBAL_OPTIONS, synopsisParts, wrap, type CliCommand } from './args.ts';
import { commands } from './commands.ts';

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => by + l).join('\n');
}

/** `kvmatrix --help`: every command with every flag, generated from the same tables the parser uses. */
export function usage(registry: Record<string, CliCommand> = commands): string {
  const lines = ['usage: kvmatrix [--debug] <command> [options]', '', 'commands:'];
  for (const cmd of Object.values(registry)) {
    const specs = cmd.subcommands ? Object.values(cmd.subcommands).map((s) => s.spec) : [cmd.spec];
    for (const spec of specs) {
      lines.push(`  ${wrap(synopsisParts(spec), 96, '      ')}`);
      lines.push(indent(spec.summary, '        '));
    }
  }
  lines.push('', 'global options:');
  lines.push(`  --debug      ${GLOBAL_OPTIONS.debug.description}`);
  lines.push('  -h, --help   this help; kvmatrix <command> --help describes a command and each of its flags');
  lines.push('', 'environment: KVMATRIX_CACHE_DIR (sources, builds, images; default kernels/), KVMATRIX_RESULTS_DIR (default results/),', '  KVMATRIX_DEBUG=1 (same as --debug)');
  lines.push(EXIT_CODES_HELP);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // --debug is global: before the command or among its options (never in a guest command after --).
  const end = argv.indexOf('--') >= 0 ? argv.indexOf('--') : argv.length;
  const debug = argv.slice(0, end).includes('--debug') || process.env.KVMATRIX_DEBUG === '1';
  const firstNonGlobal = argv.findIndex((a, i) => i >= end || a !== '--debug');
  const args = firstNonGlobal >= 0 ? argv.slice(firstNonGlobal) : [];
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    const cmd = topic === undefined ? undefined : commands[topic];
    if (topic !== undefined && !cmd) {
      process.stderr.write(`${describeError(unknownCommand(topic))}\n`);
      return EXIT.usage;
    }
    if (cmd) return cmd.run({ ctx: { cacheDir: cacheDir(), report: () => {} }, debug }, ['--help']);
    process.stdout.write(`${usage()}\n`);
    return command ? EXIT.validated : EXIT.usage;
  }
  const handler = commands[command];
  if (!handler) {
    process.stderr.write(`${describeError(unknownCommand(command))}\n`);
    return EXIT.usage;
  }
  const abort = new AbortController();
  const progress = defaultReporter();
  const ctx: Ctx = { cacheDir: cacheDir(), report: progress.report, signal: abort.signal };
  installSignalHandlers(() => abort.abort());
  try {
    return await handler.run({ ctx, debug }, rest);
  } catch (err) {
    progress.stop();
    process.stderr.write(`${describeError(err, { debug })}\n`);
    return exitCodeFor(err);
  } finally {
    progress.stop();
    liveGroups.killAll();
  }
}

function unknownCommand(name: string): UserError {
  return new UserError('USAGE', `unknown command "${name}". Available: ${Object.keys(commands).join(', ')}`, { hint: 'kvmatrix --help lists them with their flags' });
}
