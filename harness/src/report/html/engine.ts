// The report's templates: Eta (templates/*.eta) with autoescaping on, so
// every `<%= value %>` goes through esc() and kernel logs, full of "<", never
// reach the page as markup. `<%~ %>` is the explicit raw marker: the
// templates use it only for included templates and the page's own CSS and
// script. The templates are read and compiled once, when this module loads;
// rendering touches no file.
//
// Whitespace is literal (autoTrim off): what a template shows is what the
// page gets, except where a tag says otherwise with Eta's `_`: `<%_` drops
// the white space before the tag, `_%>` the white space after it. So:
//   `<%_ if (x) { %>` / `<%_ } %>`  the lines between are output lines of
//                                   their own (each keeps its line break);
//   `<%_ for (…) { _%>` / `<%_ } _%>` the lines between continue the line;
//   a line ending in `<% _%>`        continues on the next one (its line
//                                   break and indentation are dropped).
// A template file's final line break is not part of the template.
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta/core';
import { cleanText } from '../common.ts';

/** Text made safe for the page: cleaned like a log, then `&<>"'` as numeric references. */
export function esc(text: string | number | null | undefined): string {
  return cleanText(String(text ?? '')).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const eta = new Eta({
  autoEscape: true,
  escapeFunction: (value: unknown) => esc(value as string | number | null | undefined),
  autoTrim: false,
  cache: true,
  useWith: false,
});

const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));
for (const file of readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.eta')).sort()) {
  const text = readFileSync(`${TEMPLATES_DIR}${file}`, 'utf8').replace(/\n$/, '');
  eta.loadTemplate(`@${basename(file, '.eta')}`, text);
}

/** Render templates/<name>.eta with `view` as `it`. */
export function renderTemplate(name: string, view: object): string {
  return eta.render(`@${name}`, view);
}
