// report.html: one self-contained page (inline CSS and JS, no external
// resource, a CSP that forbids loading any). The matrix is coloured by
// verdict; each matrix cell links to its case detail (per-variant outcomes,
// the case's KTAP lines, metrics), which the script opens in a dialog; the
// page still reads without JS (the details are plain <details> below).
//
// The page is templates/*.eta filled from typed views: each part's view is
// built from the run here (html/*-view.ts), the templates only lay it out,
// and every piece of text they print goes through esc() (html/engine.ts).
import type { RunSummary } from '../results/types.ts';
import type { RenderExtras } from './common.ts';
import { REPORT_CSS, REPORT_JS } from './html/assets.ts';
import { caseDetailsView } from './html/case-view.ts';
import { cellsView } from './html/cell-view.ts';
import { newCtx } from './html/context.ts';
import { renderTemplate } from './html/engine.ts';
import { OVERALL_WORD, attentionView, headerView } from './html/header-view.ts';
import { diagnosticsView, matrixView } from './html/matrix-view.ts';

export type { RenderExtras } from './common.ts';
export { VERDICT_COLORS } from './html/assets.ts';
export { LOG_TAIL_LINES } from './html/cell-view.ts';
export { esc } from './html/engine.ts';

export function renderHtml(run: RunSummary, extras: RenderExtras = {}): string {
  const ctx = newCtx(run, extras);
  // In page order: the first part to link to a cell or log names its anchor.
  const page = {
    title: `kvmatrix ${run.config.name}: ${OVERALL_WORD[run.overall.verdict]}`,
    css: REPORT_CSS,
    header: headerView(run),
    attention: attentionView(ctx),
    matrix: matrixView(ctx),
    diagnostics: diagnosticsView(ctx),
    cells: cellsView(ctx),
    caseDetails: caseDetailsView(ctx),
    script: REPORT_JS,
  };
  return renderTemplate('page', page);
}
