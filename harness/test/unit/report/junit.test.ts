import assert from 'node:assert/strict';
import { join } from 'node:path';
import { renderJunit, xmlAttr, xmlText } from '../../../src/report/junit.ts';
import type { RunSummary } from '../../../src/results/types.ts';
import { FIXTURES, loadRun, parseXmlStrict, type XmlElement } from './helpers.ts';
import { assertMatchesGolden } from '../../golden.ts';

const kids = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);

describe('report/junit', () => {
  const run = loadRun();
  const xml = renderJunit(run);
  const root = parseXmlStrict(xml);
  const suites = kids(root, 'testsuite');

  it('matches the golden rendering of the 6.1 run', () => {
    assertMatchesGolden(xml, join(FIXTURES, 'run-6.1.golden.xml'));
  });

  it('is well-formed XML with a <testsuites> root', () => {
    assert.equal(root.name, 'testsuites');
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  });

  it('is checked by a parser that rejects what XML 1.0 forbids', () => {
    for (const bad of ['<a>\u0000</a>', '<a>\uFFFE</a>', '<a>a & b</a>', '<a>&nbsp;</a>', '<a><b></a></b>', '<a x="1" x="2"/>', '<a/><b/>']) {
      assert.throws(() => parseXmlStrict(bad), JSON.stringify(bad));
    }
  });

  it('has one testsuite per cell, then the verdicts suite', () => {
    assert.deepEqual(suites.map((s) => s.attrs.name), [...run.cells.map((c) => c.id), 'verdicts']);
  });

  it('counts match the testcases in every suite and in the total', () => {
    const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const s of suites) {
      const cases = kids(s, 'testcase');
      const n = {
        tests: cases.length,
        failures: cases.filter((c) => kids(c, 'failure').length > 0).length,
        errors: cases.filter((c) => kids(c, 'error').length > 0).length,
        skipped: cases.filter((c) => kids(c, 'skipped').length > 0).length,
      };
      assert.deepEqual(
        { tests: Number(s.attrs.tests), failures: Number(s.attrs.failures), errors: Number(s.attrs.errors), skipped: Number(s.attrs.skipped) },
        n, `counts of ${s.attrs.name}`);
      total.tests += n.tests; total.failures += n.failures; total.errors += n.errors; total.skipped += n.skipped;
    }
    assert.deepEqual({ tests: Number(root.attrs.tests), failures: Number(root.attrs.failures), errors: Number(root.attrs.errors), skipped: Number(root.attrs.skipped) }, total);
  });

  it('names testcases by case id with a kvmatrix.<kernel>.<arch>.<variant> class', () => {
    const base = suites.find((s) => s.attrs.name === '6.1/x86_64/base');
    assert.ok(base);
    assert.equal(base.attrs.time, '9.382');
    const tc = kids(base, 'testcase').find((t) => t.attrs.name === 'softdirty_uffdwp/shmem_memfd_unprotect_softdirty');
    assert.ok(tc);
    assert.equal(tc.attrs.classname, 'kvmatrix.6.1.x86_64.base');
    const failure = kids(tc, 'failure')[0];
    assert.ok(failure);
    assert.match(failure.attrs.message ?? '', /^memfd shmem \(MAP_SHARED\): page written after UFFDIO_WRITEPROTECT/);
    assert.match(failure.text, /matrix verdict on 6\.1\/x86_64: fixed \(base fail, patched pass\)/);
  });

  it('gives skips their reason', () => {
    const arm = suites.find((s) => s.attrs.name === '6.1/arm64/base');
    const skipped = arm ? kids(arm, 'testcase').flatMap((t) => kids(t, 'skipped')) : [];
    assert.equal(skipped.length, 12);
    assert.match(skipped[0]?.attrs.message ?? '', /^soft-dirty not supported/);
  });

  it('reports a cell that did not run as a <cell> testcase with an error and the log tail', () => {
    const boot = suites.find((s) => s.attrs.name === '6.12/arm64/base');
    assert.ok(boot);
    const cell = kids(boot, 'testcase').find((t) => t.attrs.name === '<cell>');
    const error = cell ? kids(cell, 'error')[0] : undefined;
    assert.ok(error);
    assert.equal(error.attrs.type, 'boot-failed');
    assert.match(error.attrs.message ?? '', /^boot-failed: BOOT_TIMEOUT: guest did not answer SSH/);
    assert.match(error.text, /rcu_preempt kthread timer wakeup didn't happen/);
    assert.match(kids(boot, 'system-err')[0]?.text ?? '', /rcu_stall at console\.log:488/);

    const patch = suites.find((s) => s.attrs.name === '6.1/x86_64/v1-as-posted');
    const perr = patch ? kids(patch, 'testcase').flatMap((t) => kids(t, 'error'))[0] : undefined;
    assert.equal(perr?.attrs.type, 'patch-failed');
    assert.match(perr?.text ?? '', /error: corrupt patch at line 67/);
  });

  it('reports a kernel that crashed under test as a failure of the cell', () => {
    const cell = structuredClone(run.cells.find((c) => c.id === '6.1/x86_64/patched'));
    assert.ok(cell);
    cell.state = 'crashed';
    cell.error = { kind: 'user', code: 'KERNEL_PANIC', stage: 'run', message: 'guest kernel panicked while softdirty_uffdwp ran: Kernel panic - not syncing: Fatal exception', logTail: 'Kernel panic - not syncing: Fatal exception' };
    const suite = kids(parseXmlStrict(renderJunit({ ...run, cells: [cell] })), 'testsuite')[0];
    assert.ok(suite);
    const failure = kids(suite, 'testcase').find((t) => t.attrs.name === '<cell>');
    assert.equal(kids(failure ?? suite, 'failure')[0]?.attrs.type, 'crashed');
    assert.equal(suite.attrs.errors, '0');
    assert.equal(suite.attrs.failures, '1');
  });

  it('judges the comparison in the verdicts suite', () => {
    const v = suites.find((s) => s.attrs.name === 'verdicts');
    assert.ok(v);
    const thp = kids(v, 'testcase').find((t) => t.attrs.classname === 'kvmatrix.6.1.x86_64' && t.attrs.name === 'softdirty_uffdwp/thp_private_unprotect_softdirty');
    assert.equal(kids(thp ?? v, 'failure')[0]?.attrs.type, 'unexpected');
    assert.equal(Number(v.attrs.tests), run.matrix.rows.length * run.matrix.columns.length);
    assert.equal(Number(v.attrs.errors), run.matrix.counts['infra-error']);
  });

  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    assert.equal(xmlText('a<b>&c]]>'), 'a&lt;b&gt;&amp;c]]&gt;');
    assert.equal(xmlAttr('say "hi"\n\tnow'), 'say &#34;hi&#34;&#10;&#9;now');
    const nasty = `\u0000NUL \u001b[31mred\u001b[0m \u0007bell \uFFFE \uD800 lone surrogate ]]> <script> & done\r\n`;
    const cell = structuredClone(run.cells.find((c) => c.id === '6.12/arm64/base'));
    assert.ok(cell?.error);
    cell.error.logTail = nasty;
    cell.error.message = `boot hung ${nasty}`;
    const broken: RunSummary = { ...run, cells: [cell] };
    const out = renderJunit(broken);
    const parsed = parseXmlStrict(out);
    const error = kids(kids(parsed, 'testsuite')[0] ?? parsed, 'testcase').flatMap((t) => kids(t, 'error'))[0];
    assert.ok(error);
    assert.match(error.text, /\uFFFDNUL red \uFFFDbell \uFFFD \uFFFD lone surrogate \]\]> <script> & done/);
    assert.doesNotMatch(error.attrs.message ?? '', /\n/);
  });
});
