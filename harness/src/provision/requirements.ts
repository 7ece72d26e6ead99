// What the host needs, as data: configs/host-tools.yaml plus each arch's
// qemu and cross compiler, plus the Debian kernel source packages a matrix
// uses, plus (for the tests) the file's test-only tools.
import { join } from 'node:path';
import { machine } from 'node:os';
import { configsDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import type { ArchProfile } from '../arch/profile.ts';
import { isNative } from '../arch/host.ts';

export interface Requirement {
  name: string;
  command?: string;
  file?: string;
  /** A Debian package that must be installed (for data packages such as linux-source-X.Y). */
  debPackage?: string;
  package: string;
  purpose: string;
  onlyOn?: string;
}

const toolList = {
  type: 'array',
  items: {
    type: 'object', additionalProperties: false, required: ['name', 'package', 'purpose'],
    properties: { name: { type: 'string' }, command: { type: 'string' }, file: { type: 'string' }, package: { type: 'string' }, purpose: { type: 'string' }, onlyOn: { type: 'string' } },
  },
};

const schema = {
  type: 'object', additionalProperties: false, required: ['tools'],
  properties: { tools: toolList, testTools: toolList },
};

/** `forTests`: also the tools only the tests use (`provision --for test`). */
export function hostRequirements(arches: readonly ArchProfile[], debianSources: readonly string[], opts: { forTests?: boolean } = {}): Requirement[] {
  const file = join(configsDir, 'host-tools.yaml');
  const data = validateData<{ tools: Requirement[]; testTools?: Requirement[] }>(file, loadYaml(file), schema);
  const tools = [...data.tools, ...(opts.forTests ? data.testTools ?? [] : [])];
  const out = tools.filter((t) => !t.onlyOn || t.onlyOn === machine());
  for (const a of arches) {
    out.push({ name: a.qemu.binary, command: a.qemu.binary, package: a.qemu.package, purpose: `boot ${a.name} guests` });
    if (!isNative(a)) {
      out.push({ name: `${a.crossCompile}gcc`, command: `${a.crossCompile}gcc`, package: a.crossPackages[0] ?? `gcc-${a.gnuTriplet}`, purpose: `cross-build ${a.name} kernels and selftests` });
      for (const p of a.crossPackages.slice(1)) {
        out.push({ name: p, debPackage: p, package: p, purpose: `static ${a.name} selftests (libc.a)` });
      }
    }
  }
  for (const pkg of debianSources) out.push({ name: pkg, debPackage: pkg, package: pkg, purpose: 'Debian kernel source' });
  return out;
}
