// Pick the provider for a source spec. Providers load lazily: a Debian-only
// matrix never loads the HTTP or git code.
import type { Ctx } from '../stage.ts';
import type { KernelSource, SourceSpec } from './types.ts';

export async function fetchSource(ctx: Ctx, spec: SourceSpec, logPath: string): Promise<KernelSource> {
  switch (spec.provider) {
    case 'debian': return (await import('./debian.ts')).debianProvider.fetch(ctx, spec, logPath);
    case 'local': return (await import('./local.ts')).localProvider.fetch(ctx, spec, logPath);
    case 'tarball': return (await import('./tarball.ts')).tarballProvider.fetch(ctx, spec, logPath);
    case 'git': return (await import('./git.ts')).gitProvider.fetch(ctx, spec, logPath);
  }
}
