// One declarative option table per command: the parser and `--help` are both
// generated from it, so the documentation cannot drift from what is accepted.
// Every value is validated here (integers, enums, durations, sizes): a
// command handler only ever sees well-formed, typed values.
//
// This module must not import main.ts or any command: commands import it.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configsDir } from '../util/paths.ts';
import { EXIT, UserError } from '../errors.ts';
import type { Ctx } from '../stage.ts';
import { closest } from '../util/text.ts';

interface OptionBase {
  description: string;
  /** Name of the value in help, e.g. FILE. */
  value?: string;
  /** May be given several times; the values are collected in order. */
  multiple?: boolean;
  /** Must be given (a named argument, like merge --out). */
  required?: boolean;
}

export type OptionSpec =
  | (OptionBase & { type: 'string'; /** An error message, or undefined when the value is fine. */ validate?: (v: string) => string | undefined })
  | (OptionBase & { type: 'boolean' })
  | (OptionBase & { type: 'integer'; min?: number; max?: number })
  | (OptionBase & { type: 'enum'; choices: readonly string[] })
  /** Parsed to milliseconds; a bare number is in `unit`. */
  | (OptionBase & { type: 'duration'; unit: DurationUnit; minMs?: number })
  /** Parsed to bytes; a bare number is in `unit`. */
  | (OptionBase & { type: 'size'; unit: SizeUnit });

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';
export type SizeUnit = 'B' | 'K' | 'M' | 'G' | 'T';

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining positional (only the last one). */
  variadic?: boolean;
}

export interface CommandSpec<Opts extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** As typed: "matrix", "cache gc". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** A paragraph for `--help`. */
  description?: string;
  positionals?: readonly PositionalSpec[];
  /** Arguments after `--`, handed over untouched (a guest command). */
  rest?: { name: string; description: string };
  options: Opts;
  examples?: readonly string[];
}

type Scalar<O> = O extends { type: 'boolean' } ? boolean
  : O extends { type: 'integer' | 'duration' | 'size' } ? number
    : O extends { type: 'enum'; choices: readonly (infer C)[] } ? C
      : string;

export type OptionValues<Opts> = { -readonly [K in keyof Opts]?: Opts[K] extends { multiple: true } ? Scalar<Opts[K]>[] : Scalar<Opts[K]> };

export interface ParsedArgs<Opts> {
  values: OptionValues<Opts>;
  positionals: string[];
  /** Everything after `--` (only for commands with `rest`). */
  rest: string[];
  help: boolean;
}

/** Accepted by every command; main reads `--debug` itself before parsing. */
export const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', description: 'on an internal error, print the stack trace (and the cause chain)' },
  help: { type: 'boolean', description: 'show this help (also -h)' },
} as const satisfies Record<string, OptionSpec>;

export function defineCommand<const Opts extends Record<string, OptionSpec>>(spec: CommandSpec<Opts>): CommandSpec<Opts> {
  return spec;
}

export interface CliContext {
  ctx: Ctx;
  /** `--debug` was given: describe internal errors with their stack. */
  debug: boolean;
}

/** A command as main sees it: its table (for help) and how to run it on raw argv. */
export interface CliCommand {
  spec: CommandSpec;
  subcommands?: Record<string, CliCommand>;
  run(c: CliContext, argv: readonly string[]): Promise<number>;
}

export function cliCommand<const Opts extends Record<string, OptionSpec>>(
  spec: CommandSpec<Opts>, handler: (c: CliContext, args: ParsedArgs<Opts>) => Promise<number>,
): CliCommand {
  return {
    spec,
    async run(c, argv) {
      const args = parseCommandArgs(spec, argv);
      if (args.help) {
        process.stdout.write(`${commandHelp(spec)}\n`);
        return EXIT.validated;
      }
      return handler(c, args);
    },
  };
}

/** A command made of subcommands (`cache ls`, `cache gc`); `defaultSub` runs when none is named. */
export function cliGroup(spec: CommandSpec, subcommands: Record<string, CliCommand>, defaultSub?: string): CliCommand {
  return {
    spec,
    subcommands,
    async run(c, argv) {
      const [first, ...rest] = argv;
      if (first === '--help' || first === '-h' || first === 'help') {
        process.stdout.write(`${groupHelp(spec, subcommands)}\n`);
        return EXIT.validated;
      }
      const sub = first === undefined || first.startsWith('-') ? defaultSub : first;
      const cmd = sub === undefined ? undefined : subcommands[sub];
      if (!cmd) {
        throw new UserError('USAGE', `unknown ${spec.name} subcommand "${first ?? ''}". Available: ${Object.keys(subcommands).join(', ')}`, {
          hint: `kvmatrix ${spec.name} --help`,
        });
      }
      return cmd.run(c, sub === first ? rest : argv);
    },
  };
}

// ---------------------------------------------------------------- parsing

function usageError(spec: CommandSpec, message: string, hint?: string): UserError {
  return new UserError('USAGE', message, { hint: hint ?? `see kvmatrix ${spec.name} --help` });
}

const DURATION_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 };
const SIZE_BYTES: Record<SizeUnit, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "90" (in `unit`), "90s", "1.5h", "250ms", "7d" → milliseconds; null when malformed. */
export function parseDuration(text: string, unit: DurationUnit): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m || text.trim() === '') return null;
  return Math.round(Number(m[1]) * DURATION_MS[(m[2] as DurationUnit | undefined) ?? unit]);
}

/** "20" (in `unit`), "512M", "1.5G", "2TiB" → bytes; null when malformed or negative. */
export function parseSize(text: string, unit: SizeUnit): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([BKMGT])(?:i?B)?)?$/i.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * SIZE_BYTES[((m[2]?.toUpperCase()) as SizeUnit | undefined) ?? unit]);
}

function valueName(o: OptionSpec): string {
  if (o.type === 'enum') return o.choices.join('|');
  if (o.value) return o.value;
  switch (o.type) {
    case 'integer': return 'N';
    case 'duration': return 'DURATION';
    case 'size': return 'SIZE';
    default: return 'VALUE';
  }
}

function convert(spec: CommandSpec, name: string, o: OptionSpec, raw: string): string | number {
  const flag = `--${name}`;
  switch (o.type) {
    case 'integer': {
      const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      const range = o.max !== undefined ? ` from ${o.min ?? 0} to ${o.max}` : o.min !== undefined ? ` >= ${o.min}` : '';
      if (!Number.isSafeInteger(n) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw usageError(spec, `${flag} takes an integer${range}, got "${raw}"`);
      }
      return n;
    }
    case 'enum':
      if (!o.choices.includes(raw)) throw usageError(spec, `${flag} must be one of: ${o.choices.join(', ')}; got "${raw}"`);
      return raw;
    case 'duration': {
      const ms = parseDuration(raw, o.unit);
      if (ms === null) throw usageError(spec, `${flag} takes a non-negative duration like 90 (${unitWord(o.unit)}), 90s, 15m, 2h or 7d; got "${raw}"`);
      if (o.minMs !== undefined && ms < o.minMs) throw usageError(spec, `${flag} must be at least ${o.minMs / 1000} s, got "${raw}"`);
      return ms;
    }
    case 'size': {
      const bytes = parseSize(raw, o.unit);
      if (bytes === null) throw usageError(spec, `${flag} takes a non-negative size like 20 (${o.unit === 'B' ? 'bytes' : `${o.unit}B`}), 512M or 1.5T; got "${raw}"`);
      return bytes;
    }
    case 'string': {
      const problem = o.validate?.(raw);
      if (problem) throw usageError(spec, `${flag}: ${problem}`);
      return raw;
    }
    case 'boolean':
      throw usageError(spec, `${flag} takes no value`);
  }
}

function unitWord(u: DurationUnit): string {
  return { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days' }[u];
}

/** One parse in progress: argv split at `--`, what the command declares, and what has been read so far. */
interface ArgvParse {
  spec: CommandSpec;
  options: Record<string, OptionSpec>;
  /** kvmatrix's own arguments (before `--`) and everything after it. */
  before: readonly string[];
  after: readonly string[];
  declared: readonly PositionalSpec[];
  maxPositionals: number;
  /** Every option name the command accepts, for "did you mean" and the list in the hint. */
  known: string[];
  values: Record<string, unknown>;
  positionals: string[];
}

/** Parse argv against the table; every problem is a USAGE UserError naming the flag and what it takes. */
export function parseCommandArgs<Opts extends Record<string, OptionSpec>>(spec: CommandSpec<Opts>, argv: readonly string[]): ParsedArgs<Opts> {
  const dashDash = argv.indexOf('--');
  const before = dashDash >= 0 ? argv.slice(0, dashDash) : [...argv];
  const after = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const help = before.includes('--help') || before.includes('-h');
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  if (help) return { values: values as OptionValues<Opts>, positionals, rest: [], help };

  const options: Record<string, OptionSpec> = spec.options;
  const declared = spec.positionals ?? [];
  const p: ArgvParse = {
    spec, options, before, after, declared, values, positionals,
    maxPositionals: declared.some((d) => d.variadic) ? Infinity : declared.length,
    known: [...Object.keys(options), ...Object.keys(GLOBAL_OPTIONS)],
  };
  for (let i = 0; i < before.length; i++) {
    const tok = before[i] as string;
    if (tok.startsWith('--')) i = readLongOption(p, i);
    else readPositional(p, i);
  }
  if (dashDash >= 0 && !spec.rest) {
    // `--` only ends the options: `kvmatrix parse -- -odd-name.log`.
    for (const tok of after) {
      if (positionals.length >= p.maxPositionals) throw usageError(spec, `unexpected argument "${tok}"`);
      positionals.push(tok);
    }
  }
  checkRequired(p);
  return { values: values as OptionValues<Opts>, positionals, rest: spec.rest ? after : [], help };
}

/** For a command with a guest command: the same line with `--` where it belongs. */
function guestCommandHint(p: ArgvParse, i: number): UserError {
  const cmd = ['kvmatrix', p.spec.name, ...p.before.slice(0, i), '--', ...p.before.slice(i), ...p.after].join(' ');
  return usageError(p.spec, `put the guest command after --: ${cmd}`, `options before -- are kvmatrix's; everything after -- runs in the guest as given`);
}

/** Read the `--name` or `--name=value` at `before[i]` (and its value); returns the index of the last token used. */
function readLongOption(p: ArgvParse, i: number): number {
  const { spec, before, values } = p;
  const tok = before[i] as string;
  const eq = tok.indexOf('=');
  const name = tok.slice(2, eq >= 0 ? eq : undefined);
  const inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
  if (name === 'debug') return i;
  const o = p.options[name];
  if (!o) {
    const guess = closest(name, p.known);
    // After the cell, an option we do not know is most likely the guest command's (unless it is a typo of ours).
    if (spec.rest && p.positionals.length > 0 && !guess) throw guestCommandHint(p, i);
    throw usageError(spec, `unknown option --${name} for kvmatrix ${spec.name}${guess ? ` (did you mean --${guess}?)` : ''}`,
      `kvmatrix ${spec.name} takes: ${p.known.map((k) => `--${k}`).join(', ')}`);
  }
  let value: string | boolean;
  if (o.type === 'boolean') {
    if (inline !== undefined) throw usageError(spec, `--${name} takes no value (got "--${name}=${inline}")`);
    value = true;
  } else {
    const next = inline ?? before[i + 1];
    if (next === undefined || (inline === undefined && next.startsWith('--')) || next === '') {
      throw usageError(spec, `--${name} needs a value (${valueName(o)})${next === '' ? ', got an empty string' : ''}`);
    }
    if (inline === undefined) i++;
    value = next;
  }
  const converted = typeof value === 'boolean' ? value : convert(spec, name, o, value);
  if (o.multiple) {
    ((values[name] ??= []) as unknown[]).push(converted);
  } else {
    if (name in values) throw usageError(spec, `--${name} was given more than once`);
    values[name] = converted;
  }
  return i;
}

/** `before[i]` is not a long option: a positional, or a short option or surplus word that has no place here. */
function readPositional(p: ArgvParse, i: number): void {
  const { spec, positionals, declared } = p;
  const tok = p.before[i] as string;
  if (tok.startsWith('-') && tok.length > 1) {
    if (spec.rest && positionals.length > 0) throw guestCommandHint(p, i);
    throw usageError(spec, `unknown option ${tok} for kvmatrix ${spec.name}`, `kvmatrix ${spec.name} takes: ${p.known.map((k) => `--${k}`).join(', ')}`);
  }
  if (positionals.length >= p.maxPositionals) {
    if (spec.rest) throw guestCommandHint(p, i);
    throw usageError(spec, `unexpected argument "${tok}": kvmatrix ${spec.name} takes ${declared.length === 0 ? 'no arguments' : declared.map((d) => d.name).join(' ')}`);
  }
  positionals.push(tok);
}

/** Required options first, then required positionals, each naming the synopsis. */
function checkRequired(p: ArgvParse): void {
  const { spec } = p;
  for (const [name, o] of Object.entries(p.options)) {
    if (o.required && !(name in p.values)) throw usageError(spec, `kvmatrix ${spec.name} needs --${name} ${valueName(o)}: ${synopsis(spec)}`);
  }
  const missing = p.declared.filter((d, i) => d.required && p.positionals.length <= i);
  if (missing.length > 0) {
    throw usageError(spec, `kvmatrix ${spec.name} needs ${missing.map((d) => d.name).join(' ')}: ${synopsis(spec)}`);
  }
}

// ---------------------------------------------------------------- help

function optionLabel(name: string, o: OptionSpec): string {
  return `--${name}${o.type === 'boolean' ? '' : ` ${valueName(o)}`}`;
}

function optionNotes(o: OptionSpec): string[] {
  const notes: string[] = [];
  if (o.type === 'integer' && (o.min !== undefined || o.max !== undefined)) notes.push(o.max !== undefined ? `${o.min ?? 0}-${o.max}` : `>= ${o.min}`);
  if (o.type === 'duration') notes.push(`bare number: ${unitWord(o.unit)}; or 250ms, 90s, 15m, 2h, 7d`);
  if (o.type === 'size') notes.push(`bare number: ${o.unit === 'B' ? 'bytes' : `${o.unit}B`}; or 512M, 20G, 1.5T`);
  if (o.multiple) notes.push('repeatable');
  if (o.required) notes.push('required');
  return notes;
}

/** `matrix [--config FILE] [--kernel ID]... -- CMD...`, from the table. */
export function synopsis(spec: CommandSpec): string {
  return synopsisParts(spec).join(' ');
}

/** The synopsis as unbreakable pieces, for wrapping. */
export function synopsisParts(spec: CommandSpec): string[] {
  const parts = [spec.name];
  for (const p of spec.positionals ?? []) parts.push(`${p.required ? p.name : `[${p.name}]`}${p.variadic ? '...' : ''}`);
  for (const [name, o] of Object.entries(spec.options)) parts.push(`${o.required ? optionLabel(name, o) : `[${optionLabel(name, o)}]`}${o.multiple ? '...' : ''}`);
  if (spec.rest) parts.push(`-- ${spec.rest.name}...`);
  return parts;
}

/** Word-wrap `text` to `width` columns; continuation lines start with `indent` (not counted in `width`). */
export function wrap(text: string | readonly string[], width: number, indent: string): string {
  const words = typeof text === 'string' ? text.split(/\s+/).filter(Boolean) : text;
  const out: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out.join(`\n${indent}`);
}

function table(rows: [string, string][]): string {
  const w = Math.min(26, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows.map(([label, text]) => {
    const pad = label.length + 2 > w ? `\n  ${' '.repeat(w)}` : ' '.repeat(w - label.length);
    return `  ${label}${pad}${wrap(text, 100 - w - 2, `  ${' '.repeat(w)}`)}`;
  }).join('\n');
}

export const EXIT_CODES_HELP = 'exit codes: 0 validated, 1 test failure or regression, 2 user error (bad config or usage; nothing was started), 69 infrastructure error';

export function commandHelp(spec: CommandSpec, opts: { embedded?: boolean } = {}): string {
  const parts = [`usage: kvmatrix ${wrap(synopsisParts(spec), 84, '                ')}`, '', wrap(spec.description ?? spec.summary, 100, '')];
  const args: [string, string][] = (spec.positionals ?? []).map((p) => [`${p.name}${p.variadic ? '...' : ''}`, `${p.description}${p.required ? '' : ' (optional)'}`]);
  if (spec.rest) args.push([`-- ${spec.rest.name}...`, spec.rest.description]);
  if (args.length > 0) parts.push('', 'arguments:', table(args));
  const opts2 = Object.entries(spec.options).map(([n, o]): [string, string] => {
    const notes = optionNotes(o);
    return [optionLabel(n, o), `${o.description}${notes.length ? ` (${notes.join('; ')})` : ''}`];
  });
  if (opts2.length > 0) parts.push('', 'options:', table(opts2));
  if (!opts.embedded) parts.push('', 'global options:', table([['--debug', GLOBAL_OPTIONS.debug.description], ['-h, --help', 'show this help']]));
  if (spec.examples?.length) parts.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  if (!opts.embedded) parts.push('', EXIT_CODES_HELP);
  return parts.join('\n');
}

export function groupHelp(spec: CommandSpec, subcommands: Record<string, CliCommand>): string {
  const parts = [`usage: kvmatrix ${spec.name} <${Object.keys(subcommands).join('|')}> [options]`, '', wrap(spec.description ?? spec.summary, 100, '')];
  for (const sub of Object.values(subcommands)) parts.push('', commandHelp(sub.spec, { embedded: true }));
  parts.push('', 'global options:', table([['--debug', GLOBAL_OPTIONS.debug.description], ['-h, --help', 'show this help']]), '', EXIT_CODES_HELP);
  return parts.join('\n');
}

// ---------------------------------------------------------------- shared helpers

export const DEFAULT_CONFIG = join(configsDir, 'matrix.yaml');

/** The matrix config a command uses: the given file (must be a readable file), else the default. */
export function configPath(p: string | undefined): string {
  const f = p ? resolve(p) : DEFAULT_CONFIG;
  if (!existsSync(f)) throw new UserError('CONFIG_MISSING', `matrix config ${f} not found`, { hint: `pass an existing file with --config (the default is ${DEFAULT_CONFIG})` });
  if (!statSync(f).isFile()) throw new UserError('CONFIG_MISSING', `matrix config ${f} is not a file`, { hint: 'pass a YAML file with --config' });
  return f;
}

/** The common `--config` row. */
export const configOption = { type: 'string', value: 'FILE', description: `matrix config; relative paths in it resolve from its directory (default: configs/matrix.yaml)` } as const;
/** The common `--accel` row. */
export const accelOption = {
  type: 'enum', choices: ['auto', 'kvm', 'tcg'],
  description: "accelerator: kvm only where the arch is native and /dev/kvm can start a vCPU, tcg always works, auto picks (default: the config's accel)",
} as const;
