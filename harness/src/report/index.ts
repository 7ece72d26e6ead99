// The three renderings of one run, by the file name each is written to in
// the run directory. Pure: the caller reads results.json and the logs, and
// writes the files.
import type { RunSummary } from '../results/types.ts';
import type { RenderExtras } from './common.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export type { LogText, RenderExtras } from './common.ts';
export { renderHtml, renderJunit, renderMarkdown };

export interface RenderedReports {
  'matrix.md': string;
  'report.html': string;
  'junit.xml': string;
}

export function renderAll(run: RunSummary, extras: RenderExtras = {}): RenderedReports {
  return {
    'matrix.md': renderMarkdown(run),
    'report.html': renderHtml(run, extras),
    'junit.xml': renderJunit(run),
  };
}
