// Kernel trouble in a serial console log: splats, oopses, panics, sanitizer
// reports, hung tasks, RCU stalls, lockdep. A finding needs the kernel's own
// line shape at the start of the message (after the printk timestamp), so a
// test program printing "WARNING: ..." or "# BUG: ..." does not count.
import { splitLines, stripPrintkPrefix } from './lines.ts';

export type ConsoleFindingKind =
  | 'bug' | 'warning' | 'oops' | 'panic' | 'kasan' | 'ubsan' | 'hung_task' | 'rcu_stall' | 'lockdep';

export interface ConsoleFinding {
  kind: ConsoleFindingKind;
  /** 1-based line of the trigger. */
  line: number;
  /** The trigger line without its timestamp. */
  text: string;
  /** Up to 5 lines before and 20 after, cut at the report's own start and end marks; no timestamps. */
  excerpt: string[];
}

// First match wins, so the specific shapes come before the generic ones:
// "BUG: KASAN:" is kasan, lockdep's reports start with "WARNING:" too.
const RULES: readonly { kind: ConsoleFindingKind; pattern: RegExp }[] = [
  { kind: 'kasan', pattern: /^(?:BUG: )?KASAN: / },
  { kind: 'ubsan', pattern: /^UBSAN: / },
  {
    kind: 'lockdep',
    pattern: /^WARNING: (?:possible circular locking dependency|possible recursive locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning to user space|Nested lock was not taken|bad contention detected)/,
  },
  // "WARNING: CPU: 0 PID: 1 at mm/x.c:12 f+0x1/0x2", the pre-3.x
  // "WARNING: at mm/x.c:12 f()", and "WARNING: mm/x.c:12 at f+0x1/0x2" in
  // case a kernel puts the location first. Plain "WARNING: text" is not a splat.
  { kind: 'warning', pattern: /^WARNING: (?:CPU: \d+ PID: \d+ at |at \S+:\d+ |\S+:\d+ at \S)/ },
  { kind: 'panic', pattern: /^Kernel panic - not syncing: / },
  // x86 "Oops: 0000 [#1] SMP" / "Oops: general protection fault, ...", arm64
  // "Internal error: Oops: 0000000096000005 [#1]", and the pre-6.10 x86 GP fault.
  { kind: 'oops', pattern: /^(?:Internal error: )?Oops(?::| -) |^general protection fault\b.*\[#\d+\]/ },
  { kind: 'hung_task', pattern: /^INFO: task .+ blocked for more than \d+ seconds/ },
  { kind: 'rcu_stall', pattern: /^(?:rcu: )?INFO: rcu_\w+ (?:self-detected stall|detected (?:expedited )?stalls)/ },
  {
    kind: 'bug',
    // "BUG: ..." (NULL deref, scheduling while atomic, soft lockup behind
    // "watchdog: "), "kernel BUG at f.c:12!", SLUB's "BUG kmalloc-64 (Not
    // tainted): ...", and arm64's page-fault opener.
    pattern: /^(?:watchdog: )?BUG: \S|^kernel BUG at \S+:\d+!|^BUG \S+ \((?:Not tainted|Tainted: [^)]*)\): |^Unable to handle kernel (?:NULL pointer dereference|paging request|execute from non-executable memory|write to read-only memory) at virtual address/,
  },
];

const BEFORE = 5;
const AFTER = 20;
// Where a report starts and ends, when the kernel marks it: WARN's "cut here"
// and the sanitizers' "=====" rules open one; "---[ end trace ...", "---[ end
// Kernel panic ..." and (for the sanitizers) the closing rule end it. Cutting
// there keeps unrelated console lines out of the excerpt.
const OPENER = /^-+\[ cut here \]-+$|^={20,}$/;
const END = /^---\[ end /;
const FRAME = /^={20,}$/;

export function scanConsole(text: string): ConsoleFinding[] {
  const lines = splitLines(text).map((l) => stripPrintkPrefix(l).trimEnd());
  const findings: ConsoleFinding[] = [];
  lines.forEach((message, i) => {
    const rule = RULES.find((r) => r.pattern.test(message));
    if (!rule) return;
    let start = Math.max(0, i - BEFORE);
    for (let j = i - 1; j >= start; j--) {
      if (OPENER.test(lines[j] ?? '')) { start = j; break; }
    }
    const framed = rule.kind === 'kasan' || rule.kind === 'ubsan';
    let end = Math.min(lines.length, i + 1 + AFTER);
    for (let j = i + 1; j < end; j++) {
      const l = lines[j] ?? '';
      if (END.test(l) || (framed && FRAME.test(l))) { end = j + 1; break; }
    }
    findings.push({ kind: rule.kind, line: i + 1, text: message, excerpt: lines.slice(start, end) });
  });
  return findings;
}

export interface BootMarkers {
  /** The kernel handed over to userspace ("Run /init as init process", or initmem freed just before). */
  reachedInit: boolean;
  /** The "Linux version ..." banner, timestamp stripped. */
  kernelVersionLine: string | null;
  /** 1-based line of the first "Kernel panic - not syncing". */
  panicLine: number | null;
}

const INIT = /^(?:Run \S+ as init process|Freeing unused kernel)/;
const VERSION = /^Linux version \S/;
const PANIC = /^Kernel panic - not syncing/;

/**
 * The panic message anywhere in raw console text (timestamps and all), for
 * callers watching a live console: boot readiness and a guest lost mid-test.
 */
export function findPanic(text: string): string | null {
  return /Kernel panic - not syncing[^\n]*/.exec(text)?.[0] ?? null;
}

export function detectBootMarkers(text: string): BootMarkers {
  const markers: BootMarkers = { reachedInit: false, kernelVersionLine: null, panicLine: null };
  splitLines(text).forEach((raw, i) => {
    const message = stripPrintkPrefix(raw).trimEnd();
    if (INIT.test(message)) markers.reachedInit = true;
    if (markers.kernelVersionLine === null && VERSION.test(message)) markers.kernelVersionLine = message;
    if (markers.panicLine === null && PANIC.test(message)) markers.panicLine = i + 1;
  });
  return markers;
}

/**
 * What makes two findings "the same" across kernels of one column: the kind
 * and the trigger line with its run-specific parts removed (CPU, PID, task
 * name, addresses, offsets, taint flags), so a WARN at mm/x.c:12 on base and
 * on patched compare equal while a new one does not.
 */
export function findingSignature(f: Pick<ConsoleFinding, 'kind' | 'text'>): string {
  const text = f.text
    .replace(/CPU: \d+ PID: \d+/g, 'CPU PID')
    .replace(/\bPID: \d+/g, 'PID')
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/gi, '')
    .replace(/\b0x[0-9a-f]+\b/gi, 'X')
    .replace(/\b[0-9a-f]{8,16}\b/gi, 'X')
    .replace(/\[#\d+\]/g, '')
    .replace(/\b(?:task|comm:?) \S+/g, 'task')
    .replace(/for more than \d+ seconds/, 'for more than N seconds')
    .replace(/\s+/g, ' ')
    .trim();
  return `${f.kind}: ${text}`;
}
