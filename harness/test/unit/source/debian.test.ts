import assert from 'node:assert/strict';
import { parseAptPolicy } from '../../../src/source/debian.ts';

describe('apt-cache policy', () => {
  it('reads installed, candidate and every version of the table', () => {
    const text = [
      'linux-source-6.1:',
      '  Installed: 6.1.176-1',
      '  Candidate: 6.1.176-1',
      '  Version table:',
      ' *** 6.1.176-1 500',
      '        500 http://deb.debian.org/debian bookworm/main amd64 Packages',
      '        100 /var/lib/dpkg/status',
      '     6.1.170-3 500',
      '        500 http://deb.debian.org/debian bookworm/main amd64 Packages',
      '',
    ].join('\n');
    assert.deepEqual(parseAptPolicy(text), { installed: '6.1.176-1', candidate: '6.1.176-1', versions: ['6.1.176-1', '6.1.170-3'] });
  });

  it('is null for a package apt does not know (empty output) and reads "(none)" as absent', () => {
    assert.equal(parseAptPolicy(''), null);
    assert.deepEqual(parseAptPolicy('linux-source-6.12:\n  Installed: (none)\n  Candidate: 6.12.38-1~bpo12+1\n  Version table:\n     6.12.38-1~bpo12+1 100\n        100 http://deb.debian.org/debian bookworm-backports/main amd64 Packages\n'),
      { installed: null, candidate: '6.12.38-1~bpo12+1', versions: ['6.12.38-1~bpo12+1'] });
  });
});
