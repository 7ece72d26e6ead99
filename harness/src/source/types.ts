// Kernel sources: one interface, several providers. A provider turns a spec
// from the matrix config into a pristine, read-only tree plus an identity
// string that goes into every cache key built on it.
import { Type, type Static } from '@sinclair/typebox';
import type { Ctx } from '../stage.ts';
import { TaggedUnion } from '../util/yaml-schema.ts';

/** A `linux-source-X.Y` package name (also what a suite's lists are searched for). */
export const LINUX_SOURCE_REGEX = '^linux-source-[0-9]+\\.[0-9]+$';

/** A kernel's `source:` in the matrix config, by `provider`. */
export const SourceSpecSchema = TaggedUnion('provider', [
  /**
   * Debian's linux-source-X.Y. Without `suite`: the package installed on the
   * host (provisioned by apt as root). With `suite`: the .deb of that suite
   * (configs/debian-archive.yaml), downloaded into the cache by apt with a
   * private configuration, whatever the host's release.
   */
  Type.Object({
    provider: Type.Literal('debian'),
    package: Type.String({ pattern: LINUX_SOURCE_REGEX }),
    version: Type.Optional(Type.String({ pattern: '^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$' })),
    suite: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$' })),
  }, { additionalProperties: false }),
  Type.Object({
    provider: Type.Literal('tarball'),
    url: Type.String({ pattern: '^(https?|file)://' }),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  }, { additionalProperties: false }),
  Type.Object({ provider: Type.Literal('git'), url: Type.String(), ref: Type.String() }, { additionalProperties: false }),
  Type.Object({ provider: Type.Literal('local'), path: Type.String() }, { additionalProperties: false }),
]);

export type SourceSpec = Static<typeof SourceSpecSchema>;

export interface KernelSource {
  /**
   * Stable identity for cache keys, e.g. "debian:linux-source-6.1=6.1.192-2"
   * (host package), "debian:trixie:linux-source-6.12=6.12.117-1#sha256=<.deb>"
   * (a suite's package), "tarball:<url>#sha256=<hex>", "git:<url>@<sha>".
   */
  identity: string;
  /** Pristine tree; never modified (builds go out of tree, patches into work copies). */
  tree: string;
  /** `make kernelversion` of the tree, e.g. "6.1.192". */
  kernelVersion: string;
}

export interface SourceProvider<S extends SourceSpec = SourceSpec> {
  fetch(ctx: Ctx, spec: S, logPath: string): Promise<KernelSource>;
}
