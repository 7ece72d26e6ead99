// The real linux-source-6.12 of trixie, whatever the host's release: apt with
// private state fetches the suite's signed lists and the 150 MB .deb into the
// cache, which is unpacked once (about 1.7 GB). The default matrix takes its
// 6.12 from here too, so with a warm cache this costs a second.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianProvider, type SuiteSourceRecord } from '../../src/source/debian.ts';
import { sha256File } from '../../src/util/hash.ts';
import { cacheDir } from '../../src/util/paths.ts';
import type { ProgressEvent } from '../../src/progress.ts';

describe('debian source from a suite (real archive)', function () {
  this.timeout(30 * 60_000);

  it('fetches and unpacks trixie\'s linux-source-6.12, recording suite, version and the .deb\'s sha256', async () => {
    const events: ProgressEvent[] = [];
    const started = Date.now();
    const ctx = { cacheDir: cacheDir(), report: (e: ProgressEvent) => { events.push(e); if (e.kind === 'info' || e.kind === 'warn') process.stderr.write(`      ${e.text}\n`); } };
    const src = await debianProvider.fetch(ctx, { provider: 'debian', package: 'linux-source-6.12', suite: 'trixie' }, join(mkdtempSync(join(tmpdir(), 'kvmatrix-e2e-deb-')), 'source.log'));
    process.stderr.write(`      source ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${src.identity}\n`);

    const m = /^debian:trixie:linux-source-6\.12=(6\.12\.[0-9]+-[^#]+)#sha256=([0-9a-f]{64})$/.exec(src.identity);
    assert.ok(m, src.identity);
    assert.match(src.kernelVersion, /^6\.12\.\d+$/);
    assert.ok(existsSync(join(src.tree, 'mm', 'userfaultfd.c')));
    const record = JSON.parse(readFileSync(`${src.tree}.json`, 'utf8')) as SuiteSourceRecord;
    assert.equal(record.version, m[1]);
    assert.equal(record.sha256, m[2]);
    const deb = join(cacheDir(), 'downloads', 'debian', 'trixie', record.fileName);
    assert.equal(await sha256File(deb), record.sha256, 'the kept .deb is the one the index named');
  });
});
