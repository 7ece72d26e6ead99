// Kernel sources: one interface, several providers. A provider turns a spec
// from the matrix config into a pristine, read-only tree plus an identity
// string that goes into every cache key built on it.
import type { Ctx } from '../stage.ts';

export type SourceSpec =
  /**
   * Debian's linux-source-X.Y. Without `suite`: the package installed on the
   * host (provisioned by apt as root). With `suite`: the .deb of that suite
   * (configs/debian-archive.yaml), downloaded into the cache by apt with a
   * private configuration, whatever the host's release.
   */
  | { provider: 'debian'; package: string; version?: string; suite?: string }
  | { provider: 'tarball'; url: string; sha256?: string }
  | { provider: 'git'; url: string; ref: string }
  | { provider: 'local'; path: string };

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
