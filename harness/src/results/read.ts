// Read a run directory's records strictly, for commands that write from them
// (report, merge): a record that exists but cannot be read or parsed stops
// the command before it writes anything, naming the file. Silently dropping
// a cell would turn "4 fixed" into "0 fixed" in a regenerated report.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError, systemErrorCode, UserError } from '../errors.ts';
import { RESULTS_SCHEMA, type CellResult, type RunSummary } from './types.ts';

/** Codes that mean "fix the path or permissions", as opposed to a failing disk. */
const USER_FS_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

function readFailure(file: string, err: unknown, what: string): Error {
  const code = systemErrorCode(err);
  if (code && USER_FS_CODES.has(code)) {
    return new UserError('RESULT_UNREADABLE', `${what} ${file} cannot be read (${code})`, { cause: err, hint: 'fix its permissions or type; nothing was written' });
  }
  return new InfraError('RESULT_IO', `${what} ${file} cannot be read: ${(err as Error).message}`, { cause: err, hint: 'check the disk; nothing was written' });
}

/** The file's text, or null when it does not exist. */
async function readIfExists(file: string, what: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (systemErrorCode(err) === 'ENOENT') return null;
    throw readFailure(file, err, what);
  }
}

function parseRecord(file: string, text: string, what: string, hint: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError('RESULT_CORRUPT', `${what} ${file} is not valid JSON (${(err as Error).message}${text.length === 0 ? '; the file is empty' : ''})`, { hint });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError('RESULT_CORRUPT', `${what} ${file} is not a JSON object`, { hint });
  }
  const schema = (data as { schema?: unknown }).schema;
  if (schema !== RESULTS_SCHEMA) {
    throw new UserError('RESULT_SCHEMA', `${what} ${file} has results schema ${JSON.stringify(schema)}; this kvmatrix reads schema ${RESULTS_SCHEMA}`, {
      hint: 'use the kvmatrix version that wrote it; nothing was written',
    });
  }
  return data as Record<string, unknown>;
}

/** results.json of a run: null when absent (an interrupted run), an error when present but broken. */
export async function readRunSummary(runDir: string): Promise<RunSummary | null> {
  const file = join(runDir, 'results.json');
  const text = await readIfExists(file, 'run summary');
  if (text === null) return null;
  const data = parseRecord(file, text, 'run summary', `restore it, or delete it to rebuild it from cells/ (run id and start time are then lost); nothing was written`);
  const config = data.config as Record<string, unknown> | undefined;
  if (typeof data.runId !== 'string' || typeof config !== 'object' || config === null || typeof config.sha256 !== 'string') {
    throw new UserError('RESULT_CORRUPT', `run summary ${file} lacks runId or config.sha256`, { hint: 'restore it, or delete it to rebuild it from cells/; nothing was written' });
  }
  return data as unknown as RunSummary;
}

export interface CellRecords {
  /** In directory name order. */
  cells: CellResult[];
  /** Cell directories without result.json (the cell never finished): shown as missing. */
  unfinished: string[];
  /** Entries of cells/ that are not directories: ignored. */
  strays: string[];
}

/** Every cells/<dir>/result.json of a run; a corrupt or unreadable one is an error naming it. */
export async function readCellRecords(runDir: string): Promise<CellRecords> {
  const cellsDir = join(runDir, 'cells');
  let entries;
  try {
    entries = await readdir(cellsDir, { withFileTypes: true });
  } catch (err) {
    if (systemErrorCode(err) === 'ENOENT') return { cells: [], unfinished: [], strays: [] };
    throw readFailure(cellsDir, err, 'cells directory');
  }
  const out: CellRecords = { cells: [], unfinished: [], strays: [] };
  for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!d.isDirectory()) {
      out.strays.push(join(cellsDir, d.name));
      continue;
    }
    const file = join(cellsDir, d.name, 'result.json');
    const text = await readIfExists(file, 'cell result');
    if (text === null) {
      out.unfinished.push(d.name);
      continue;
    }
    const data = parseRecord(file, text, 'cell result', `restore it, or delete ${join(cellsDir, d.name)} (the cell then shows as missing); nothing was written`);
    if (typeof data.id !== 'string') throw new UserError('RESULT_CORRUPT', `cell result ${file} has no cell id`, { hint: 'restore it, or delete the cell directory (the cell then shows as missing); nothing was written' });
    out.cells.push(data as unknown as CellResult);
  }
  return out;
}
