// Kernel sources: one interface, several providers. A provider turns a spec
// from the matrix config into a pristine, read-only tree plus an identity
// string that goes into every cache key built on it.
import type { Ctx } from '../stage.ts';

export type SourceSpec =
  | { provider: 'debian'; package: string; version?: string }
  | { provider: 'tarball'; url: string; sha256?: string }
  | { provider: 'git'; url: string; ref: string }
  | { provider: 'local'; path: string };

export interface KernelSource {
  /** Stable identity for cache keys, e.g. "debian:linux-source-6.1=6.1.192-2". */
  identity: string;
  /** Pristine tree; never modified (builds go out of tree, patches into work copies). */
  tree: string;
  /** `make kernelversion` of the tree, e.g. "6.1.192". */
  kernelVersion: string;
}

export interface SourceProvider<S extends SourceSpec = SourceSpec> {
  fetch(ctx: Ctx, spec: S, logPath: string): Promise<KernelSource>;
}
