import { basename, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError, EXIT } from '../errors.ts';
import { loadMatrixConfig } from '../matrix/config.ts';
import { bootCell } from '../pipeline/boot-cell.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { configPath, parseOrThrow, type CliContext } from './main.ts';
import { provisionFor } from './commands.ts';

const accelOption = { type: 'string' } as const;

/** `kvmatrix exec CELL [--upload FILE] -- CMD...`: stream output, return the guest command's exit code. */
export async function execCommand(c: CliContext): Promise<number> {
  const { values, positionals } = parseOrThrow({
    args: c.argv, options: { config: { type: 'string' }, upload: { type: 'string' }, accel: accelOption, timeout: { type: 'string' } },
    allowPositionals: true, strict: true,
  });
  const [cell, ...cmd] = positionals;
  if (!cell || (cmd.length === 0 && !values.upload)) throw new UserError('USAGE', 'usage: kvmatrix exec CELL [--upload FILE] -- CMD [ARGS...]');
  const cfg = loadMatrixConfig(configPath(values.config));
  await provisionFor(c, cfg);
  const { vm, logDir } = await bootCell(c.ctx, cfg, cell, (values.accel as 'auto' | 'kvm' | 'tcg' | undefined) ?? cfg.accel);
  try {
    let command = cmd.map(shellQuote).join(' ');
    if (values.upload) {
      const local = resolve(values.upload);
      if (!existsSync(local)) throw new UserError('USAGE', `--upload ${local}: no such file`);
      const remote = `/tmp/${basename(local)}`;
      await vm.ssh.upload(local, remote);
      command = [remote, ...cmd].map(shellQuote).join(' ');
    }
    const r = await vm.ssh.exec(command, {
      timeoutMs: values.timeout ? Number(values.timeout) * 1000 : 3600_000,
      onStdout: (s) => process.stdout.write(s), onStderr: (s) => process.stderr.write(s),
    });
    if (r.timedOut || r.disconnected) {
      process.stderr.write(`kvmatrix: command ${r.timedOut ? 'timed out' : 'lost its connection'}; console log: ${logDir}/console.log\n`);
      return EXIT.infra;
    }
    return r.exitCode ?? EXIT.infra;
  } finally {
    await vm.shutdown();
  }
}

/** `kvmatrix shell CELL`: an interactive shell in the guest; the VM goes away when it ends. */
export async function shellCommand(c: CliContext): Promise<number> {
  const { values, positionals } = parseOrThrow({ args: c.argv, options: { config: { type: 'string' }, accel: accelOption }, allowPositionals: true, strict: true });
  const cell = positionals[0];
  if (!cell) throw new UserError('USAGE', 'usage: kvmatrix shell CELL');
  const cfg = loadMatrixConfig(configPath(values.config));
  await provisionFor(c, cfg);
  const { vm } = await bootCell(c.ctx, cfg, cell, (values.accel as 'auto' | 'kvm' | 'tcg' | undefined) ?? cfg.accel);
  try {
    process.stderr.write(`kvmatrix: shell on ${cell} (exit the shell to stop the VM)\n`);
    return await vm.ssh.interactiveShell();
  } finally {
    await vm.shutdown();
  }
}
