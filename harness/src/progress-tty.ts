// Live progress on a terminal: one status line per running cell (its stage
// and how long it has been in it), redrawn in place; finished stages and
// messages scroll above it. CI and pipes get plainReporter's lines instead.
import type { ProgressEvent, Reporter } from './progress.ts';
import { plainReporter } from './progress.ts';

interface Active {
  stage: string;
  since: number;
  detail?: string;
}

export function ttyReporter(stream: NodeJS.WriteStream = process.stderr): { report: Reporter; stop: () => void } {
  const active = new Map<string, Active>();
  let drawn = 0;
  const plain = plainReporter((s) => stream.write(s));
  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const width = stream.columns ?? 100;
    const lines = [...active.entries()].map(([cell, a]) => {
      const secs = Math.floor((Date.now() - a.since) / 1000);
      const text = `  ⟳ ${cell.padEnd(24)} ${a.stage.padEnd(14)} ${String(secs).padStart(4)} s  ${a.detail ?? ''}`;
      return text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
    });
    if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  const report: Reporter = (e: ProgressEvent) => {
    const cell = e.cell ?? 'kvmatrix';
    clear();
    if (e.kind === 'stage-start') {
      active.set(cell, { stage: e.stage, since: Date.now(), detail: e.detail });
    } else {
      if (e.kind === 'stage-end') active.delete(cell);
      // Build progress ticks update the status line instead of scrolling.
      const a = active.get(cell);
      if (e.kind === 'info' && a && e.stage === a.stage) {
        a.detail = e.text;
        draw();
        return;
      }
      plain(e);
    }
    draw();
  };
  return { report, stop: () => { clearInterval(timer); clear(); } };
}

/** A TTY gets the live view unless CI is set; everything else plain lines. */
export function defaultReporter(): { report: Reporter; stop: () => void } {
  if (process.stderr.isTTY && !process.env.CI) return ttyReporter();
  return { report: plainReporter(), stop: () => {} };
}
