// Progress is a typed event stream (vmtest style); renderers decide how it looks.
import type { StageName } from './errors.ts';

export type ProgressEvent =
  | { kind: 'stage-start'; cell?: string; stage: StageName; detail?: string }
  | { kind: 'stage-end'; cell?: string; stage: StageName; ok: boolean; durationMs: number; detail?: string }
  | { kind: 'info'; cell?: string; stage?: StageName; text: string }
  | { kind: 'warn'; cell?: string; stage?: StageName; text: string };

export type Reporter = (event: ProgressEvent) => void;

function prefix(cell: string | undefined, stage: StageName | undefined): string {
  return [cell, stage].filter(Boolean).join(' ');
}

/** Plain lines: what CI logs and non-TTY runs get. */
export function plainReporter(write: (s: string) => void = (s) => process.stderr.write(s)): Reporter {
  return (e) => {
    const at = new Date().toISOString().slice(11, 19);
    switch (e.kind) {
      case 'stage-start':
        write(`${at} [${prefix(e.cell, e.stage)}] start${e.detail ? `: ${e.detail}` : ''}\n`);
        break;
      case 'stage-end':
        write(`${at} [${prefix(e.cell, e.stage)}] ${e.ok ? 'done' : 'FAILED'} in ${(e.durationMs / 1000).toFixed(1)} s${e.detail ? `: ${e.detail}` : ''}\n`);
        break;
      case 'info':
        write(`${at} [${prefix(e.cell, e.stage)}] ${e.text}\n`);
        break;
      case 'warn':
        write(`${at} [${prefix(e.cell, e.stage)}] warning: ${e.text}\n`);
        break;
    }
  };
}

export const silentReporter: Reporter = () => {};
