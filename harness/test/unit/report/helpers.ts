// Shared by the report tests: the fixture run and its logs, and XML read by
// a strictly conforming parser (saxes), so a junit.xml that is not
// well-formed XML 1.0 fails the test that reads it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import type { RunSummary } from '../../../src/results/types.ts';
import type { LogText } from '../../../src/report/common.ts';
import { FIXTURES_DIR } from '../../golden.ts';

export const FIXTURES = join(FIXTURES_DIR, 'report');

export function loadRun(name = 'run-6.1.json'): RunSummary {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as RunSummary;
}

/** The logs as `kvmatrix report` would pass them: per cell, every file of its dir. */
export function loadLogs(run: RunSummary): Record<string, LogText[]> {
  const logs: Record<string, LogText[]> = {};
  for (const cell of run.cells) {
    const dir = join(FIXTURES, 'logs', cell.id.replace(/[^A-Za-z0-9._-]+/g, '_'));
    if (!existsSync(dir)) continue;
    logs[cell.id] = readdirSync(dir).sort().map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
  }
  return logs;
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA), not its children's. */
  text: string;
}

/**
 * Parse `text` as XML 1.0 and return the root element, or throw at the
 * first well-formedness error (saxes checks them all: characters XML 1.0
 * cannot carry, bare "&" or "<", unknown entities, crossed or unclosed tags,
 * duplicate attributes, content after the root).
 */
export function parseXmlStrict(text: string): XmlElement {
  const parser = new SaxesParser();
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    const el: XmlElement = { name: tag.name, attrs: { ...tag.attributes }, children: [], text: '' };
    stack.at(-1)?.children.push(el);
    root ??= el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(text).close();
  if (!root) throw new Error('no root element');
  return root;
}
