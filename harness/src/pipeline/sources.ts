// Pick the provider for a source spec. Providers load lazily: a Debian-only
// matrix never loads the HTTP or git code.
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceSpec } from '../source/types.ts';

export async function fetchSource(ctx: Ctx, spec: SourceSpec, logPath: string): Promise<KernelSource> {
  switch (spec.provider) {
    case 'debian': return (await import('../source/debian.ts')).debianProvider.fetch(ctx, spec, logPath);
    case 'local': return (await import('../source/local.ts')).localProvider.fetch(ctx, spec, logPath);
    case 'tarball': return (await import('../source/tarball.ts')).tarballProvider.fetch(ctx, spec, logPath);
    case 'git': return (await import('../source/git.ts')).gitProvider.fetch(ctx, spec, logPath);
  }
}
