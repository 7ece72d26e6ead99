// The page as text. What a browser makes of it (the script runs, the panel
// opens, the colours are on screen) is harness/test/integration/report/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LOG_TAIL_LINES, esc, renderHtml } from '../../../src/report/html.ts';
import type { RunSummary } from '../../../src/results/types.ts';
import { assertMatchesGolden } from '../../golden.ts';
import { FIXTURES, loadLogs, loadRun } from './helpers.ts';

function count(haystack: string, needle: string | RegExp): number {
  return typeof needle === 'string' ? haystack.split(needle).length - 1 : (haystack.match(needle) ?? []).length;
}

describe('report/html', () => {
  const run = loadRun();
  const logs = loadLogs(run);
  const html = renderHtml(run, { logs });
  const cellCount = run.matrix.rows.length * run.matrix.columns.length;

  it('matches the golden rendering of the 6.1 run', () => {
    assertMatchesGolden(html, join(FIXTURES, 'run-6.1.golden.html'));
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
});
