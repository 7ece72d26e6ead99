// Where a bisection keeps its record: results/<run-id>/ (or --out) with
// bisect.json, bisect.md and steps/<n>-<commit>/. bisect.json is rewritten
// (atomically) after every step, so Ctrl-C loses at most the step that was
// running; the same request again finds the unfinished run and resumes it.
import { existsSync } from 'node:fs';
import { readdir, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readJson, writeFileAtomically } from '../util/fs.ts';
import { resultsRoot } from '../util/paths.ts';
import { stableStringify } from '../util/hash.ts';
import { renderBisectMarkdown } from './markdown.ts';
import { BISECT_SCHEMA, type BisectRecord, type BisectRequestRecord } from './record.ts';

export function sameRequest(a: BisectRequestRecord, b: BisectRequestRecord): boolean {
  return stableStringify(a) === stableStringify(b);
}

function newRunId(req: BisectRequestRecord): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${t}-bisect-${req.caseId.split('/').pop()?.replace(/[^A-Za-z0-9_-]+/g, '_') ?? 'case'}`;
}

async function unfinishedIn(dir: string, req: BisectRequestRecord): Promise<BisectRecord | null> {
  const prev = await readJson<BisectRecord>(join(dir, 'bisect.json'));
  return prev && prev.schema === BISECT_SCHEMA && prev.answer.status === 'running' && sameRequest(prev.request, req) ? prev : null;
}

/** The newest unfinished run of the same request (resumed), else a fresh one. */
export async function chooseBisectRun(req: BisectRequestRecord, opts: { outDir?: string; force?: boolean }): Promise<{ dir: string; previous: BisectRecord | null; runId: string }> {
  if (opts.outDir) {
    const dir = resolve(opts.outDir);
    const previous = opts.force ? null : await unfinishedIn(dir, req);
    // A fresh bisection in a reused --out dir must not inherit old steps.
    if (!previous) await rm(join(dir, 'steps'), { recursive: true, force: true });
    return { dir, previous, runId: previous?.runId ?? newRunId(req) };
  }
  const root = resultsRoot();
  if (!opts.force && existsSync(root)) {
    const names = (await readdir(root)).filter((n) => n.includes('-bisect-')).sort().reverse();
    for (const name of names) {
      const previous = await unfinishedIn(join(root, name), req);
      if (previous) return { dir: join(root, name), previous, runId: previous.runId };
    }
  }
  const runId = newRunId(req);
  return { dir: join(root, runId), previous: null, runId };
}

/** bisect.json, then bisect.md rendered from it. */
export async function saveBisect(dir: string, record: BisectRecord): Promise<void> {
  await mkdir(dir, { recursive: true });
  const timed = record.steps.filter((s) => s.durationMs > 0);
  record.meanStepMs = timed.length > 0 ? Math.round(timed.reduce((a, s) => a + s.durationMs, 0) / timed.length) : null;
  await writeFileAtomically(join(dir, 'bisect.json'), `${JSON.stringify(record, null, 2)}\n`);
  await writeFileAtomically(join(dir, 'bisect.md'), renderBisectMarkdown(record));
}
