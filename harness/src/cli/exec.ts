import { basename, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { UserError, EXIT } from '../errors.ts';
import { canonicalArchName } from '../arch/profile.ts';
import { loadMatrixConfig, planCells, type CellPlan, type MatrixConfig } from '../plan/config.ts';
import { bootCell } from '../pipeline/boot-cell.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { accelOption, cliCommand, configOption, configPath, defineCommand } from './args.ts';
import { prepareRun } from './prepare.ts';

const cellArg = { name: 'CELL', required: true, description: 'KERNEL/ARCH/VARIANT as in the matrix, e.g. 6.1/x86_64/patched (an arch alias works too)' } as const;

/** The planned cell a user named; an arch alias is accepted, an unknown cell lists the valid ones. */
export function findCell(cfg: MatrixConfig, id: string): CellPlan {
  const parts = id.split('/');
  const normalized = parts.length === 3 ? [parts[0], canonicalArchName(parts[1] as string), parts[2]].join('/') : id;
  const plans = planCells(cfg);
  // With repeat > 1 the ids end in #N: a bare id means the first repeat.
  const plan = plans.find((p) => p.id === normalized || p.id === `${normalized}#1`);
  if (!plan) {
    throw new UserError('UNKNOWN_CELL', `Unknown cell "${id}" in ${cfg.file}. Available: ${[...new Set(plans.map((p) => p.id.replace(/#\d+$/, '')))].join(', ')}`, {
      hint: 'name a cell as KERNEL/ARCH/VARIANT',
    });
  }
  return plan;
}

export const execSpec = defineCommand({
  name: 'exec',
  summary: "boot a cell's kernel, run a command in the guest, return its exit code",
  description: "Build (or take from the cache) the cell's kernel, boot it in QEMU, run the command after -- in the guest over SSH with "
    + "its output streamed, then stop the VM. The exit code is the guest command's; 69 when the VM or SSH failed. Logs stay under the "
    + "cache's scratch/ directory.",
  positionals: [cellArg],
  rest: { name: 'CMD', description: 'the guest command and its arguments, passed as given (needed unless --upload is given)' },
  options: {
    config: configOption,
    upload: { type: 'string', value: 'FILE', description: 'copy FILE to /tmp in the guest and run it (with CMD as its arguments)' },
    accel: accelOption,
    timeout: { type: 'duration', unit: 's', minMs: 1000, description: 'stop waiting for the guest command after this long (default: 1h)' },
  },
  examples: [
    "kvmatrix exec 6.1/x86_64/patched -- sh -c 'uname -r; cat /proc/cmdline'",
    'kvmatrix exec 6.1/x86_64/base --upload ./my-static-test -- --verbose',
  ],
});

/** `kvmatrix exec CELL [--upload FILE] -- CMD...`: stream output, return the guest command's exit code. */
export const execCommand = cliCommand(execSpec, async (c, { values, positionals, rest }) => {
  const cell = positionals[0] as string;
  if (rest.length === 0 && values.upload === undefined) {
    throw new UserError('USAGE', 'kvmatrix exec needs a guest command after --, or --upload FILE', { hint: `e.g. kvmatrix exec ${cell} -- uname -r` });
  }
  const cfg = loadMatrixConfig(configPath(values.config));
  const plan = findCell(cfg, cell);
  const upload = values.upload !== undefined ? resolve(values.upload) : undefined;
  if (upload !== undefined) {
    let isFile = false;
    try {
      isFile = statSync(upload).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) throw new UserError('UPLOAD_MISSING', `--upload ${upload}: no such file`, { hint: 'give a file to copy into the guest (a static binary or a script)' });
  }
  await prepareRun(c, cfg, { kernels: [plan.kernel.id], arches: [plan.arch] });
  const { vm, logDir } = await bootCell(c.ctx, cfg, plan.id, values.accel ?? cfg.accel);
  try {
    let command = rest.map(shellQuote).join(' ');
    if (upload !== undefined) {
      const remote = `/tmp/${basename(upload)}`;
      await vm.ssh.upload(upload, remote);
      command = [remote, ...rest].map(shellQuote).join(' ');
    }
    const r = await vm.ssh.exec(command, {
      timeoutMs: values.timeout ?? 3600_000,
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
});

export const shellSpec = defineCommand({
  name: 'shell',
  summary: "interactive SSH shell in a cell's booted guest",
  description: "Build (or take from the cache) the cell's kernel, boot it and open an interactive shell in the guest; the VM stops when the shell ends.",
  positionals: [cellArg],
  options: { config: configOption, accel: accelOption },
  examples: ['kvmatrix shell 6.1/arm64/base'],
});

/** `kvmatrix shell CELL`: an interactive shell in the guest; the VM goes away when it ends. */
export const shellCommand = cliCommand(shellSpec, async (c, { values, positionals }) => {
  const cfg = loadMatrixConfig(configPath(values.config));
  const plan = findCell(cfg, positionals[0] as string);
  await prepareRun(c, cfg, { kernels: [plan.kernel.id], arches: [plan.arch] });
  const { vm } = await bootCell(c.ctx, cfg, plan.id, values.accel ?? cfg.accel);
  try {
    process.stderr.write(`kvmatrix: shell on ${plan.id} (exit the shell to stop the VM)\n`);
    return await vm.ssh.interactiveShell();
  } finally {
    await vm.shutdown();
  }
});
