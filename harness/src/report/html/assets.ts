// The page's stylesheet and script, kept as plain files beside this module
// and read once when it loads; the renderer inlines them, since the page's
// Content-Security-Policy forbids loading anything. Both go into the page
// byte for byte, so they carry no comments of their own: they are here.
//
// report.css colours each verdict with one `.v-<verdict>` rule; the
// screenshot test looks for those colours, so they are read back from the
// stylesheet (VERDICT_COLORS) rather than written down twice.
//
// report.js: the matrix links work without JS (they jump to the <details>
// below); with JS they open the same content in a modal panel, with copies
// of the cell's logs. "#d-R-C" in the URL opens that panel on load, so a link
// to one cell can be shared. When the script has run, <body> has
// data-ready="1".
import { readFileSync } from 'node:fs';
import type { Verdict } from '../../results/types.ts';
import { VERDICT_ORDER } from '../common.ts';

const read = (name: string): string => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

export const REPORT_CSS = read('report.css');
export const REPORT_JS = read('report.js');

/** [background, text] per verdict, as report.css sets them. */
export const VERDICT_COLORS: Readonly<Record<Verdict, readonly [string, string]>> = verdictColors(REPORT_CSS);

function verdictColors(css: string): Record<Verdict, [string, string]> {
  const colors: Partial<Record<Verdict, [string, string]>> = {};
  for (const verdict of VERDICT_ORDER) {
    const rule = new RegExp(`^\\.v-${verdict} \\{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \\}$`, 'm').exec(css);
    if (!rule?.[1] || !rule[2]) throw new Error(`report.css has no ".v-${verdict} { background: #rrggbb; color: #rrggbb; }" rule`);
    colors[verdict] = [rule[1], rule[2]];
  }
  return colors as Record<Verdict, [string, string]>;
}
