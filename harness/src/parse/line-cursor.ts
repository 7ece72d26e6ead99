// A read position in a list of lines, like kunit.py's LineStream: the KTAP
// block parser looks at the current line, takes it, or takes a run of lines
// that belong together (a nested block), and every line keeps the number it
// had in the whole capture.

/** One line of input and its 1-based number in the capture it came from. */
export interface SourceLine { line: number; text: string }

export class LineCursor {
  readonly #lines: readonly SourceLine[];
  #at = 0;

  constructor(lines: readonly SourceLine[]) {
    this.#lines = lines;
  }

  /** The current line; undefined past the end. */
  peek(): SourceLine | undefined {
    return this.#lines[this.#at];
  }

  /** Step past the current line. */
  skip(): void {
    if (this.#at < this.#lines.length) this.#at++;
  }

  /**
   * Take the run that starts at the current line (which must belong): the
   * lines after it for which `belongs` holds, stepping over lines for which
   * `passes` holds as long as a belonging line comes after them. Stepped-over
   * lines are dropped; the first line that neither belongs nor passes, or
   * passes with nothing belonging after it, is where the cursor stops.
   */
  takeRun(belongs: (text: string) => boolean, passes: (text: string) => boolean): SourceLine[] {
    const start = this.#at;
    let end = Math.min(start + 1, this.#lines.length);
    for (let j = start + 1; j < this.#lines.length; j++) {
      const text = this.#lines[j]?.text ?? '';
      if (belongs(text)) { end = j + 1; continue; }
      if (passes(text)) continue;
      break;
    }
    this.#at = end;
    return this.#lines.slice(start, end).filter((l) => belongs(l.text));
  }
}
