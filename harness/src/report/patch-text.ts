// What the patch stage made of each variant on each kernel, and the
// compiler's errors when the result did not build, as 80-column text for
// matrix.md and reply.txt: "v1 on 6.1/x86_64: applies after repair, then
// does not build", with where each hunk was found, the repaired diff's path
// and the errors with file:line. Pure.
import type { CellResult, RunSummary } from '../results/types.ts';
import { PATCH_STATE_WORDS } from '../patch/states.ts';
import { cellDirName } from '../results/paths.ts';
import { columnIdOf } from './common.ts';
import { MAIL_WIDTH, oneLine, wrap } from './text.ts';

/** The same in fewer words, for a table cell: "repaired, no build", "offset, fixes 4". */
export function patchShort(c: CellResult, effect: string): string {
  if (!c.patch) return effect;
  if (c.state === 'already-present') return 'already present';
  if (c.patch.state === 'does-not-apply' || c.state === 'patch-failed') return 'does not apply';
  const how = c.patch.state === 'applied-after-repair' ? 'repaired, ' : c.patch.state === 'applied-with-offset' ? 'offset, ' : '';
  if (c.state === 'build-failed') return `${how}no build`;
  return `${how}${effect}`;
}

/** The cell's patch story in a few words: "applies after repair, then does not build". */
export function patchPhrase(c: CellResult): string {
  if (!c.patch) return '';
  const words = PATCH_STATE_WORDS[c.patch.state];
  if (c.state === 'build-failed') return `${words}, then does not build`;
  if (c.state === 'already-present' || c.patch.state === 'does-not-apply') return words;
  return c.state === 'ok' ? `${words}, builds` : words;
}

/** The compiler errors of a build-failed cell (the lines after the message's first). */
export function buildErrors(c: CellResult): string[] {
  if (c.state !== 'build-failed' || !c.error) return [];
  return c.error.message.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
}

function indented(text: string, indent: string, hang: string, max: number): string[] {
  return wrap(oneLine(text), max - indent.length, hang).map((l) => `${indent}${l}`);
}

/** One cell's lines: the phrase, each message's notes, the repaired diffs, the compiler's errors. */
export function cellPatchLines(c: CellResult, max = MAIL_WIDTH): string[] {
  const p = c.patch;
  if (!p) return [];
  const out = indented(`- ${c.variant.name} on ${columnIdOf(c)}: ${patchPhrase(c)}`, '', '  ', max);
  const many = p.messages.length > 1;
  p.messages.forEach((m, i) => {
    const pad = many ? '     ' : '  ';
    if (many) out.push(...indented(`${i + 1}. ${m.subject ?? m.file}: ${PATCH_STATE_WORDS[m.state]}`, '  ', '   ', max));
    // In a series, the messages that applied are one line each: the one that did not (or is already there) says why.
    if (many && m.state !== 'does-not-apply' && m.state !== 'already-present') return;
    for (const n of m.notes) for (const line of n.split('\n')) out.push(...indented(line, pad, '  ', max));
    if (m.repaired) out.push(...indented(`repaired diff: cells/${cellDirName(c.id)}/${m.repaired}`, pad, '  ', max));
  });
  const errors = buildErrors(c);
  if (c.state === 'build-failed') {
    out.push(...indented(errors.length > 0 ? 'the compiler says:' : `build: ${c.error?.message.split('\n')[0] ?? 'failed'}`, '  ', '  ', max));
    for (const e of errors) out.push(...indented(e, '    ', '  ', max));
  }
  return out;
}

/** Every cell that had patches to apply, in run order. */
export function patchLines(run: RunSummary, max = MAIL_WIDTH): string[] {
  return run.cells.filter((c) => c.patch).flatMap((c) => cellPatchLines(c, max));
}
