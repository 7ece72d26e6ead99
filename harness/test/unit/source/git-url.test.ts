import assert from 'node:assert/strict';
import { classifyGitUrl, gitRefProblem, gitUrlProblem, resolveGitUrl } from '../../../src/source/git-url.ts';

describe('git URLs (git-fetch(1) rules)', () => {
  it('classifies URLs, scp-like ssh, helpers and local paths', () => {
    assert.deepEqual(classifyGitUrl('https://git.kernel.org/x.git', '/cfg'), { kind: 'remote', scheme: 'https' });
    assert.deepEqual(classifyGitUrl('git://127.0.0.1:9418/linux.git', '/cfg'), { kind: 'remote', scheme: 'git' });
    assert.deepEqual(classifyGitUrl('git@github.com:torvalds/linux.git', '/cfg'), { kind: 'remote', scheme: 'ssh' });
    assert.deepEqual(classifyGitUrl('ext::sh -c evil', '/cfg'), { kind: 'helper', transport: 'ext' });
    assert.deepEqual(classifyGitUrl('file:///srv/linux.git', '/cfg'), { kind: 'local', path: '/srv/linux.git' });
    assert.deepEqual(classifyGitUrl('../linux', '/cfg/dir'), { kind: 'local', path: '/cfg/linux' });
    assert.deepEqual(classifyGitUrl('./a:b', '/cfg'), { kind: 'local', path: '/cfg/a:b' });
  });

  it('resolves only relative local paths, from the config directory', () => {
    assert.equal(resolveGitUrl('../linux', '/cfg/dir'), '/cfg/linux');
    for (const u of ['https://h/x.git', 'git@h:x.git', 'file:///x', '/abs/linux', 'ext::x', '', '-x', 'a b']) assert.equal(resolveGitUrl(u, '/cfg'), u);
  });

  it('refuses URLs and refs git would read as options', () => {
    assert.equal(gitUrlProblem('https://h/x.git'), null);
    assert.match(gitUrlProblem('--upload-pack=x') ?? '', /not valid/);
    assert.equal(gitRefProblem('v6.1'), null);
    for (const bad of ['', '-x', 'a..b', 'a b', 'HEAD~1']) assert.ok(gitRefProblem(bad), bad);
  });
});
