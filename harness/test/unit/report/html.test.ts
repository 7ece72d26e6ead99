import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run as runProcess } from '../../../src/exec/run.ts';
import { LOG_TAIL_LINES, VERDICT_COLORS, esc, renderHtml } from '../../../src/report/html.ts';
import type { RunSummary } from '../../../src/results/types.ts';
import { assertGolden, countColor, decodePng, loadLogs, loadRun } from './helpers.ts';

function count(haystack: string, needle: string | RegExp): number {
  return typeof needle === 'string' ? haystack.split(needle).length - 1 : (haystack.match(needle) ?? []).length;
}

describe('report/html', () => {
  const run = loadRun();
  const logs = loadLogs(run);
  const html = renderHtml(run, { logs });
  const cellCount = run.matrix.rows.length * run.matrix.columns.length;

  it('matches the golden rendering of the 6.1 run', () => {
    assertGolden(html, 'run-6.1.golden.html');
  });

  it('is one self-contained page', () => {
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(html, /<\/html>\n$/);
    assert.doesNotMatch(html, /<(?:link|img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /\bsrc=/i);
    assert.doesNotMatch(html, /(?:href|action)="(?!#)/i, 'only in-page links');
    assert.doesNotMatch(html, /url\(|@import|https?:\/\//i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it('colours the header by the overall verdict', () => {
    assert.match(html, /<header class="banner o-not-validated">\n<div class="word">NOT VALIDATED<\/div>/);
  });

  it('has one clickable matrix cell per case and column, coloured by verdict', () => {
    assert.equal(count(html, /<td class="mc v-/g), cellCount);
    assert.equal(count(html, /<td class="mc v-fixed"/g), run.matrix.counts.fixed);
    assert.equal(count(html, /<td class="mc v-infra-error"/g), run.matrix.counts['infra-error']);
    assert.equal(count(html, /<td class="mc v-skip"/g), run.matrix.counts.skip);
    assert.equal(count(html, /<td class="mc v-pass unmet"/g), 1);
    assert.equal(count(html, /<details class="case-detail" id="d-\d+-\d+">/g), cellCount);
    // Every matrix link has its detail.
    for (const m of html.matchAll(/data-detail="(d-\d+-\d+)"/g)) assert.ok(html.includes(`id="${m[1]}"`), m[1]);
  });

  it('shows the KTAP lines of a case from the suite output, per variant', () => {
    const detail = html.slice(html.indexOf('<details class="case-detail" id="d-2-0">'));
    const end = detail.indexOf('</details>');
    const body = detail.slice(0, end);
    assert.match(body, /<span class="k-diag"># shmem_memfd_unregister_softdirty: memfd shmem \(MAP_SHARED\): page written after UFFDIO_UNREGISTER is not soft-dirty/);
    assert.match(body, /<span class="k-fail">not ok 3 shmem_memfd_unregister_softdirty<\/span>/);
    assert.match(body, /<span class="k-pass">ok 3 shmem_memfd_unregister_softdirty<\/span>/);
    assert.match(body, /expected <code>base:fail<\/code>/);
    assert.match(body, /does not apply: mm\/userfaultfd\.c: corrupt patch at line 67/);
  });

  it('rebuilds the KTAP lines from results.json without logs', () => {
    const bare = renderHtml(run);
    assert.match(bare, /rebuilt from results\.json/);
    assert.match(bare, /<span class="k-skip">ok 1 softdirty_sanity_write_sets_bit # SKIP soft-dirty not supported/);
  });

  it('has a section per cell with state, error, stages, findings and truncated logs', () => {
    assert.equal(count(html, /<article class="cell /g), run.cells.length);
    assert.match(html, /<b>infrastructure error \[BOOT_TIMEOUT\]<\/b> in boot: guest did not answer SSH within 120 s/);
    assert.match(html, /<tr class="failed"><td>boot<\/td><td>✗ failed<\/td><td class="num">2 min 00 s<\/td>/);
    assert.match(html, /<span class="tag find">warning<\/span> console\.log:14 <code>WARNING: CPU: 1 PID: 268 at mm\/mprotect\.c:62/);
    assert.match(html, /<mark>WARNING: CPU: 1 PID: 268/);
    const consoleLines = (logs['6.12/arm64/base']?.find((l) => l.name === 'console.log')?.text ?? '').trimEnd().split('\n').length;
    assert.ok(consoleLines > LOG_TAIL_LINES);
    assert.match(html, new RegExp(`last ${LOG_TAIL_LINES} of ${consoleLines} lines`));
    assert.match(html, new RegExp(`… ${consoleLines - LOG_TAIL_LINES} earlier lines not shown`));
  });

  it('escapes every piece of text', () => {
    assert.equal(esc(`<script>alert("x")</script> & 'q'`), '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;q&#39;');
    // Kernel logs are full of "<": none may reach the page as markup.
    assert.match(html, /&#60;TASK&#62;/);
    assert.match(html, /renamed from eth0 &#60;-&#62; &#60;virtio0&#62;/);
    const evil: RunSummary = structuredClone(run);
    const cell = evil.cells[0];
    assert.ok(cell);
    cell.id = '<img src=x onerror=alert(1)>';
    cell.console.findings = [{ kind: 'bug', line: 1, text: '</pre><script>alert(2)</script>', excerpt: ['</pre><script>alert(2)</script>'] }];
    const row = evil.matrix.rows[0];
    if (row) row.caseId = 'suite/<b>bold</b>';
    const out = renderHtml(evil, { logs: { [cell.id]: [{ name: '"><svg onload=alert(3)>', text: '</details></pre><script>alert(4)</script>\u001b[31m\u0000' }] } });
    assert.equal(count(out, '<script>'), 1, 'only the page script');
    assert.doesNotMatch(out, /<img|<svg|<b>bold/);
    assert.ok(!out.includes('\u0000') && !out.includes('\u001b'), 'no NUL or ESC on the page');
  });

  describe('in headless Chromium', function () {
    this.timeout(15 * 60_000);
    let chromium: string | null = null;
    let dir = '';
    let page = '';

    before(async function () {
      chromium = await findOrInstallChromium();
      if (!chromium) {
        this.skip();
        return;
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
        const img = decodePng(readFileSync(png));
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
});

function onPath(name: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Chromium from PATH; as root on Debian, `apt-get install -y chromium` first. Null (with the reason printed) if neither works. */
async function findOrInstallChromium(): Promise<string | null> {
  const found = BROWSERS.map(onPath).find((p) => p !== null);
  if (found) return found;
  const why = (text: string) => process.stdout.write(`      chromium test skipped: ${text}\n`);
  if (process.getuid?.() !== 0) return why('no chromium on PATH and not root, so it cannot be installed (apt-get install -y chromium)'), null;
  const apt = onPath('apt-get');
  if (!apt) return why('no chromium on PATH and no apt-get to install it'), null;
  process.stdout.write('      chromium not found: apt-get install -y chromium\n');
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  let r = await runProcess(apt, ['install', '-y', '-q', 'chromium'], { env, timeoutMs: 10 * 60_000 });
  if (r.exitCode !== 0) {
    await runProcess(apt, ['update', '-q'], { env, timeoutMs: 5 * 60_000 });
    r = await runProcess(apt, ['install', '-y', '-q', 'chromium'], { env, timeoutMs: 10 * 60_000 });
  }
  const installed = BROWSERS.map(onPath).find((p) => p !== null) ?? null;
  if (!installed) why(`apt-get install -y chromium failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return installed;
}
