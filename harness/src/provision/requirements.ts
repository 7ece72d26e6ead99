// What the host needs, as data: configs/host-tools.yaml plus each arch's
// qemu and cross compiler, plus the Debian kernel source packages a matrix
// uses, plus (for the tests) the file's test-only tools.
import { join } from 'node:path';
import { machine } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { configsDir } from '../util/paths.ts';
import { loadYaml, validateData } from '../util/yaml-schema.ts';
import type { ArchProfile } from '../arch/profile.ts';
import { isNative } from '../arch/host.ts';

const ToolSchema = Type.Object({
  name: Type.String(),
  command: Type.Optional(Type.String()),
  file: Type.Optional(Type.String()),
  package: Type.String(),
  purpose: Type.String(),
  onlyOn: Type.Optional(Type.String()),
}, { additionalProperties: false });

const HostToolsSchema = Type.Object({
  tools: Type.Array(ToolSchema),
  testTools: Type.Array(ToolSchema, { default: [] }),
}, { additionalProperties: false });

export type Requirement = Static<typeof ToolSchema> & {
  /** A Debian package that must be installed (for data packages such as linux-source-X.Y); never in host-tools.yaml. */
  debPackage?: string;
};

/**
 * `forTests`: also the tools only the tests use (`provision --for test`).
 * `buildOnly`: arches that are compiled for but never booted (the tests
 * cross-build selftests for every arch profile): their cross compiler, no QEMU.
 */
export function hostRequirements(arches: readonly ArchProfile[], debianSources: readonly string[], opts: { forTests?: boolean; buildOnly?: readonly ArchProfile[] } = {}): Requirement[] {
  const file = join(configsDir, 'host-tools.yaml');
  const data = validateData(file, loadYaml(file), HostToolsSchema);
  const tools = [...data.tools, ...(opts.forTests ? data.testTools : [])];
  const out: Requirement[] = tools.filter((t) => !t.onlyOn || t.onlyOn === machine());
  const booted = new Set(arches.map((a) => a.name));
  for (const a of [...arches, ...(opts.buildOnly ?? []).filter((b) => !booted.has(b.name))]) {
    if (booted.has(a.name)) out.push({ name: a.qemu.binary, command: a.qemu.binary, package: a.qemu.package, purpose: `boot ${a.name} guests` });
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
