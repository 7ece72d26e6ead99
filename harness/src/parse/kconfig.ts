// A .config or a config fragment as a value: option name (without "CONFIG_")
// to its literal value: 'y', 'm', 'n' ("# CONFIG_X is not set"), a number
// or a quoted string, quotes kept so formatting gives back the same text.
// Insertion order is file order, which keeps formatted output diffable.

export interface KconfigProblem {
  /** 1-based line in the text that was parsed. */
  line: number;
  message: string;
}

export class Kconfig implements ReadonlyMap<string, string> {
  readonly #values: Map<string, string>;
  readonly problems: readonly KconfigProblem[];

  constructor(entries: Iterable<readonly [string, string]> = [], problems: readonly KconfigProblem[] = []) {
    this.#values = new Map(entries);
    this.problems = problems;
  }

  get size(): number { return this.#values.size; }
  get(name: string): string | undefined { return this.#values.get(name); }
  has(name: string): boolean { return this.#values.has(name); }
  keys(): MapIterator<string> { return this.#values.keys(); }
  values(): MapIterator<string> { return this.#values.values(); }
  entries(): MapIterator<[string, string]> { return this.#values.entries(); }
  [Symbol.iterator](): MapIterator<[string, string]> { return this.#values.entries(); }
  forEach(fn: (value: string, name: string, config: ReadonlyMap<string, string>) => void): void {
    this.#values.forEach((value, name) => fn(value, name, this));
  }

  /** Results files and goldens see a plain object, not "{}". */
  toJSON(): { options: Record<string, string>; problems: KconfigProblem[] } {
    return { options: Object.fromEntries(this.#values), problems: [...this.problems] };
  }
}

const ASSIGNMENT = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^#\s*CONFIG_([A-Za-z0-9_]+) is not set$/;
// What conf writes: tristate/bool, decimal, 0x-hex, or a C-escaped string.
const VALUE = /^(?:[ymn]|-?\d+|0[xX][0-9a-fA-F]+|"(?:[^"\\]|\\.)*")$/;

export function parseKconfig(text: string): Kconfig {
  const values = new Map<string, string>();
  const definedAt = new Map<string, number>();
  const problems: KconfigProblem[] = [];

  const set = (name: string, value: string, line: number): void => {
    const before = definedAt.get(name);
    if (before !== undefined) {
      // Legal (the last one wins, as in kconfig), but in one file it is
      // usually a copy-paste slip worth seeing.
      problems.push({ line, message: `CONFIG_${name} set again (was ${values.get(name)} on line ${before}); the last value wins` });
    }
    values.set(name, value);
    definedAt.set(name, line);
  };

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '') return;
    const notSet = NOT_SET.exec(t);
    if (notSet) { set(notSet[1] ?? '', 'n', line); return; }
    if (t.startsWith('#')) return;
    const m = ASSIGNMENT.exec(t);
    if (!m) {
      problems.push({
        line,
        message: /^[A-Za-z0-9_]+=/.test(t) ? `"${t}" lacks the CONFIG_ prefix` : `"${t}" is not a CONFIG_ assignment or comment`,
      });
      return;
    }
    const name = m[1] ?? '';
    const value = m[2] ?? '';
    if (!VALUE.test(value)) {
      problems.push({ line, message: `CONFIG_${name}: value ${JSON.stringify(value)} is not y, m, n, a number or a quoted string` });
      return;
    }
    set(name, value, line);
  });
  return new Kconfig(values, problems);
}

/** `b` on top of `a` (b wins), as merge_config.sh does; a's order, then b's new options. */
export function mergeKconfig(a: Kconfig, b: Kconfig): Kconfig {
  // Each problem's line refers to the text its own side was parsed from.
  return new Kconfig([...a, ...b], [...a.problems, ...b.problems]);
}

export interface MissingOption {
  name: string;
  wanted: string;
  /** null when the option is absent from `actual`. */
  got: string | null;
}

/**
 * Requested options that `actual` does not have as asked. Values compare as
 * literals ('m' does not satisfy 'y'); a requested 'n' is satisfied by an
 * absent option, which is how olddefconfig drops options whose dependencies
 * are off.
 */
export function missingOptions(requested: Kconfig, actual: Kconfig): MissingOption[] {
  const missing: MissingOption[] = [];
  for (const [name, wanted] of requested) {
    const got = actual.get(name) ?? null;
    if (wanted === 'n' ? got === null || got === 'n' : got === wanted) continue;
    missing.push({ name, wanted, got });
  }
  return missing;
}

/** Back to .config text, one option a line, newline-terminated. */
export function formatKconfig(k: Kconfig): string {
  let out = '';
  for (const [name, value] of k) {
    out += value === 'n' ? `# CONFIG_${name} is not set\n` : `CONFIG_${name}=${value}\n`;
  }
  return out;
}
