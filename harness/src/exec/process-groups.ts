// Registry of the process groups we started. On exit, SIGINT or SIGTERM every
// group still alive is killed, so no qemu or compiler outlives the harness.

class ProcessGroups {
  private readonly groups = new Set<number>();
  private installed = false;

  add(pgid: number): void {
    this.groups.add(pgid);
    this.install();
  }

  reap(pgid: number): void {
    // The leader exited; its group may still hold children (make -j), end them too.
    this.kill(pgid, 'SIGKILL');
    this.groups.delete(pgid);
  }

  kill(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: already gone.
    }
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const g of this.groups) this.kill(g, signal);
    this.groups.clear();
  }

  size(): number {
    return this.groups.size;
  }

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('exit', () => this.killAll());
  }
}

export const liveGroups = new ProcessGroups();

/**
 * Turn SIGINT/SIGTERM into: kill every child group, run the caller's flush
 * (so finished cell results are on disk), then exit 130/143.
 */
export function installSignalHandlers(onSignal: (signal: NodeJS.Signals) => Promise<void> | void): void {
  let handling = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (handling) return;
      handling = true;
      process.stderr.write(`\nkvmatrix: ${sig} received, stopping child processes...\n`);
      liveGroups.killAll('SIGKILL');
      Promise.resolve(onSignal(sig)).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
}
