// Provisioning installs only what the host must have: a suite's kernel source
// is downloaded by the source stage, never apt-installed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { debianSourcesOf } from '../../../src/cli/prepare.ts';
import { loadMatrixConfig } from '../../../src/plan/config.ts';
import { hostRequirements } from '../../../src/provision/requirements.ts';
import { allArches } from '../../../src/arch/profile.ts';
import { configsDir } from '../../../src/util/paths.ts';

describe('provisioning Debian sources', () => {
  it('asks apt to install host-provided linux-source packages only, not those of a suite', () => {
    const def = loadMatrixConfig(join(configsDir, 'matrix.yaml'));
    assert.ok(def.kernels.every((k) => k.source.provider === 'debian' && k.source.suite !== undefined), 'the default matrix takes its kernels from suites');
    assert.deepEqual(debianSourcesOf(def), []);
    assert.equal(hostRequirements(allArches(), debianSourcesOf(def)).some((r) => r.package.startsWith('linux-source-')), false);
    // npm test shares the default matrix's 6.1 build: from the same suite, nothing to apt-install.
    assert.deepEqual(debianSourcesOf(loadMatrixConfig(join(configsDir, 'matrix.ci.yaml'))), []);
    const hostProvided = { ...def, kernels: [{ id: 'h', source: { provider: 'debian' as const, package: 'linux-source-6.1' } }] };
    assert.deepEqual(debianSourcesOf(hostProvided), ['linux-source-6.1']);
  });
});
