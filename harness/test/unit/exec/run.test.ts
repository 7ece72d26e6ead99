import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { escapeCommand, run, spawnLongLived } from '../../../src/exec/run.ts';
import { liveGroups } from '../../../src/exec/process-groups.ts';

/** Running and not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('exec/run', () => {
  it('returns one result shape for success and failure, with the output logged', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'kvm-run-')), 'x.log');
    const ok = await run('sh', ['-c', 'echo out; echo err >&2; exit 3'], { logPath: log });
    assert.equal(ok.exitCode, 3);
    assert.equal(ok.stdout, 'out\n');
    assert.equal(ok.stderr, 'err\n');
    assert.equal(ok.timedOut, false);
    assert.match(readFileSync(log, 'utf8'), /\$ sh -c 'echo out; echo err >&2; exit 3'/);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-run-'));
    const pidFile = join(dir, 'pid');
    const r = await run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(alive(grandchild), false, 'the background sleep must be gone');
  });

  it('stops a long-lived child and forgets its group', async () => {
    const child = spawnLongLived('sleep', ['30']);
    assert.ok(child.isRunning());
    const r = await child.stop(200);
    assert.equal(child.isRunning(), false);
    assert.ok(r.signal !== null || r.exitCode !== 0);
    assert.equal(alive(child.pid), false);
    assert.equal(liveGroups.size(), 0);
  });

  it('escapes commands for logs only', () => {
    assert.equal(escapeCommand('make', ['O=/a b', "it's", '-j2']), `make 'O=/a b' 'it'\\''s' -j2`);
  });
});
