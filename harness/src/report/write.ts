// Write results.json (canonical) and the renderings next to it. The HTML
// report embeds each cell's logs (their tails) so it stands alone.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '../results/types.ts';
import { writeFileAtomically } from '../util/fs.ts';
import { cellDirName } from '../results/paths.ts';
import { renderReply, type ReplyContext } from './reply.ts';

// Logs go in whole: the HTML renderer keeps the tail and says how much it cut,
// and its KTAP line numbers stay true.
async function textOf(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export async function collectLogs(runDir: string, summary: RunSummary): Promise<Record<string, { name: string; text: string }[]>> {
  const logs: Record<string, { name: string; text: string }[]> = {};
  for (const cell of summary.cells) {
    const dir = join(runDir, 'cells', cellDirName(cell.id));
    const names = new Set<string>();
    for (const s of cell.stages) if (s.log) names.add(s.log);
    if (cell.console.log) names.add(cell.console.log);
    for (const s of cell.suites) names.add(s.outputLog);
    // The patch stage's evidence (patch-report.txt, repaired diffs) goes with the cell too.
    for (const e of cell.patch?.evidence ?? []) names.add(e);
    const list: { name: string; text: string }[] = [];
    for (const n of names) {
      const text = await textOf(join(dir, n));
      if (text !== null) list.push({ name: n, text });
    }
    logs[cell.id] = list;
  }
  return logs;
}

export async function writeReports(runDir: string, summary: RunSummary): Promise<void> {
  await writeFileAtomically(join(runDir, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const { renderAll } = await import('./index.ts');
  const rendered = renderAll(summary, { logs: await collectLogs(runDir, summary) });
  for (const [name, text] of Object.entries(rendered)) await writeFileAtomically(join(runDir, name), text);
  // A run of `kvmatrix validate` also answers the thread: reply.txt, from what validate.json says about the mail.
  const validate = await textOf(join(runDir, 'validate.json'));
  if (validate !== null) {
    const { reply } = JSON.parse(validate) as { reply: ReplyContext };
    await writeFileAtomically(join(runDir, 'reply.txt'), renderReply(summary, reply));
  }
}
