// Shared by the report tests: the fixture run and its logs, text goldens,
// a strict XML 1.0 well-formedness parser (no XML library is installed) and
// a minimal PNG decoder for checking Chromium screenshots.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { RunSummary } from '../../../src/results/types.ts';
import type { LogText } from '../../../src/report/common.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/report/', import.meta.url));

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

/** UPDATE_GOLDEN=1 rewrites the golden from the current output (review the diff). */
export function assertGolden(actual: string, goldenName: string): void {
  const path = join(FIXTURES, goldenName);
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `no golden ${path}; run with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(path, 'utf8');
  if (actual !== expected) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    const i = a.findIndex((line, n) => line !== e[n]);
    assert.fail(`output differs from ${goldenName} at line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n(UPDATE_GOLDEN=1 to accept)`);
  }
}

// ------------------------------------------------------------------- XML

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const XML_CHAR = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const NAME = /^[A-Za-z_:][\w.:-]*/;

function decodeEntities(raw: string, where: string): string {
  return raw.replace(/&([^;&<\s]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`${where}: bare "&" (${JSON.stringify(m)})`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in named) return named[body] ?? '';
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
    if (!num) throw new Error(`${where}: unknown entity &${body};`);
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
    const ch = String.fromCodePoint(cp);
    if (!XML_CHAR.test(ch)) throw new Error(`${where}: character reference to an invalid XML character U+${cp.toString(16)}`);
    return ch;
  });
}

/**
 * Parse `text` as XML 1.0 and return the root element, or throw with the
 * offset of the first well-formedness error: invalid characters, unmatched
 * or crossed tags, bad attributes, bare "&" or "<", content after the root.
 */
export function parseXmlStrict(text: string): XmlElement {
  if (!XML_CHAR.test(text)) {
    const bad = [...text].findIndex((ch) => !XML_CHAR.test(ch));
    throw new Error(`invalid XML character at code point index ${bad}`);
  }
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (msg: string): never => { throw new Error(`offset ${i}: ${msg}`); };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk !== '') {
      if (chunk.includes('>') && /]]>/.test(chunk)) fail('"]]>" in text');
      const top = stack[stack.length - 1];
      if (!top) {
        if (chunk.trim() !== '') fail('text outside the root element');
      } else {
        top.text += decodeEntities(chunk, `text at ${i}`);
      }
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (text.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0 || stack.length === 0) fail('bad CDATA section');
      const top = stack[stack.length - 1];
      if (top) top.text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) fail('processing instruction or DTD after the declaration');
    if (text.startsWith('</', i)) {
      const m = NAME.exec(text.slice(i + 2));
      if (!m) fail('bad end tag');
      const name = m?.[0] ?? '';
      let j = i + 2 + name.length;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text[j] !== '>') fail(`bad end tag </${name}`);
      const open = stack.pop();
      if (!open) fail(`end tag </${name}> without a start tag`);
      if (open && open.name !== name) fail(`</${name}> closes <${open.name}>`);
      i = j + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (!m) fail('"<" that does not start a tag');
    const el: XmlElement = { name: m?.[0] ?? '', attrs: {}, children: [], text: '' };
    let j = i + 1 + el.name.length;
    for (;;) {
      const ws = /^\s*/.exec(text.slice(j))?.[0].length ?? 0;
      j += ws;
      if (text.startsWith('/>', j) || text[j] === '>') break;
      if (ws === 0) fail(`attributes of <${el.name}> must be separated by white space`);
      const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(j));
      if (!a) fail(`bad attribute in <${el.name}>`);
      const name = a?.[1] ?? '';
      if (name in el.attrs) fail(`duplicate attribute ${name} in <${el.name}>`);
      el.attrs[name] = decodeEntities(a?.[3] ?? a?.[4] ?? '', `attribute ${name} of <${el.name}>`);
      j += a?.[0].length ?? 0;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) fail('a second root element');
    else root = el;
    if (text.startsWith('/>', j)) {
      i = j + 2;
    } else {
      stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.map((e) => e.name).join('> <')}>`);
  if (!root) throw new Error('no root element');
  return root;
}

// ------------------------------------------------------------------- PNG

export interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  rgba: Uint8Array;
}

/** 8-bit RGB/RGBA, non-interlaced: what Chromium writes for screenshots. */
export function decodePng(buf: Buffer): Png {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(sig)) throw new Error('not a PNG');
  let off = 8;
  let width = 0; let height = 0; let colorType = -1; let depth = 0; let interlace = 0;
  const idat: Buffer[] = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      depth = data[8] ?? 0; colorType = data[9] ?? -1; interlace = data[12] ?? 0;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? (cur[x - bpp] ?? 0) : 0;
      const b = prev[x] ?? 0;
      const c = x >= bpp ? (prev[x - bpp] ?? 0) : 0;
      let pred = 0;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      cur[x] = ((line[x] ?? 0) + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = cur[x * bpp] ?? 0;
      out[o + 1] = cur[x * bpp + 1] ?? 0;
      out[o + 2] = cur[x * bpp + 2] ?? 0;
      out[o + 3] = bpp === 4 ? (cur[x * bpp + 3] ?? 255) : 255;
    }
    prev = cur;
  }
  return { width, height, rgba: out };
}

/** Pixels within `tolerance` (per channel) of the colour "#rrggbb". */
export function countColor(png: Png, hex: string, tolerance = 4): number {
  const r = parseInt(hex.slice(1, 3), 16); const g = parseInt(hex.slice(3, 5), 16); const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let o = 0; o < png.rgba.length; o += 4) {
    if (Math.abs((png.rgba[o] ?? 0) - r) <= tolerance && Math.abs((png.rgba[o + 1] ?? 0) - g) <= tolerance && Math.abs((png.rgba[o + 2] ?? 0) - b) <= tolerance) n++;
  }
  return n;
}
