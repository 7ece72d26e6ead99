// report.html in a real browser: headless Chromium runs the page script,
// opens a cell's panel from its link and takes screenshots whose colours are
// checked. Chromium is a test-only host tool: `kvmatrix provision --for test`
// (run by `npm test`) installs it; without it these tests are skipped and
// say why. REPORT_SCREENSHOT_DIR=dir keeps the page and the screenshots.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { run as runProcess } from '../../../src/exec/run.ts';
import { findOnPath } from '../../../src/provision/check.ts';
import { VERDICT_COLORS, renderHtml } from '../../../src/report/html.ts';
import { loadLogs, loadRun } from '../../unit/report/helpers.ts';

const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function count(haystack: string, needle: RegExp): number {
  return (haystack.match(needle) ?? []).length;
}

/** Pixels within `tolerance` (per channel) of the colour "#rrggbb". */
function countColor(png: PNG, hex: string, tolerance = 4): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const near = (o: number, want: number) => Math.abs((png.data[o] ?? 0) - want) <= tolerance;
  let n = 0;
  for (let o = 0; o < png.data.length; o += 4) if (near(o, r) && near(o + 1, g) && near(o + 2, b)) n++;
  return n;
}

describe('report/html in headless Chromium', function () {
  this.timeout(15 * 60_000);
  const run = loadRun();
  const html = renderHtml(run, { logs: loadLogs(run) });
  const cellCount = run.matrix.rows.length * run.matrix.columns.length;
  let chromium: string | null = null;
  let dir = '';
  let page = '';

  before(function () {
    chromium = BROWSERS.map(findOnPath).find((p) => p !== null) ?? null;
    if (!chromium) {
      process.stdout.write(`      skipped: none of ${BROWSERS.join(', ')} on PATH; `
        + '`node harness/bin/kvmatrix.js provision --for test` installs chromium\n');
      this.skip();
    }
    const keep = process.env.REPORT_SCREENSHOT_DIR;
    if (keep) mkdirSync(keep, { recursive: true });
    dir = keep ?? mkdtempSync(join(tmpdir(), 'kvmatrix-report-'));
    page = join(dir, 'report.html');
    writeFileSync(page, html);
  });

  after(() => {
    if (dir && !process.env.REPORT_SCREENSHOT_DIR) rmSync(dir, { recursive: true, force: true });
  });

  async function chrome(args: string[]): Promise<string> {
    const profile = mkdtempSync(join(tmpdir(), 'kvmatrix-chromium-'));
    try {
      const r = await runProcess(chromium ?? 'chromium', [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--hide-scrollbars', `--user-data-dir=${profile}`, ...args,
      ], { timeoutMs: 90_000 });
      assert.equal(r.exitCode, 0, `chromium failed: ${r.stderr.slice(-2000)}`);
      return r.stdout;
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }

  it('runs the page script and lays out the whole matrix', async () => {
    const dom = await chrome(['--dump-dom', pathToFileURL(page).href]);
    assert.match(dom, /<body data-ready="1">/);
    assert.equal(count(dom, /<td class="mc v-/g), cellCount);
    assert.match(dom, /<dialog id="panel"[^>]*>/);
    assert.doesNotMatch(dom, /<dialog id="panel"[^>]*\bopen\b/);
  });

  it('opens the cell panel for a #d-R-C link', async () => {
    const dom = await chrome(['--dump-dom', `${pathToFileURL(page).href}#d-2-0`]);
    assert.match(dom, /<dialog id="panel"[^>]*data-detail="d-2-0"[^>]*open=""/);
    const panel = dom.slice(dom.indexOf('<div id="panel-body">'));
    assert.match(panel, /^<div id="panel-body"><div class="detail-body"><h3><span class="badge v-fixed">FIXED<\/span> softdirty_uffdwp\/shmem_memfd_unregister_softdirty/);
    // The cells' logs are copied into the panel (without their ids).
    const inPanel = panel.slice(0, panel.indexOf('</dialog>'));
    assert.equal(count(inPanel, /<details class="logfile">/g), 5, 'console.log and suite output of base and patched, build.log of v1-as-posted');
    assert.equal(count(inPanel, /class="log-slot"/g), 0);
  });

  it('renders a non-blank, coloured screenshot', async () => {
    const shoot = async (name: string, url: string) => {
      const png = join(dir, name);
      await chrome([`--screenshot=${png}`, '--window-size=1400,1000', url]);
      assert.ok(statSync(png).size > 30_000, `${name} is suspiciously small`);
      const img = PNG.sync.read(readFileSync(png));
      assert.deepEqual([img.width, img.height], [1400, 1000]);
      return img;
    };
    const page1 = await shoot('report.png', pathToFileURL(page).href);
    // The matrix colours are on screen: FIXED green, CRASHED dark red, skip grey.
    for (const v of ['fixed', 'crashed', 'skip'] as const) {
      assert.ok(countColor(page1, VERDICT_COLORS[v][0], 12) > 2000, `too few ${v} pixels`);
    }
    // The panel: its FIXED badge and the dark KTAP block, over a dimmed page.
    const panel = await shoot('report-panel.png', `${pathToFileURL(page).href}#d-2-0`);
    assert.ok(countColor(panel, VERDICT_COLORS.fixed[0], 12) > 300, 'no FIXED badge in the panel');
    assert.ok(countColor(panel, '#0d1117', 6) > 5000, 'no KTAP block in the panel');
    assert.ok(countColor(panel, '#ffffff', 0) > 100_000, 'no white panel');
    if (process.env.REPORT_SCREENSHOT_DIR) process.stdout.write(`      screenshots in ${dir}\n`);
  });
});
