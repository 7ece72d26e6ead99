// Line splitting and printk-prefix stripping shared by the KTAP and console
// parsers. Both work on the message text: timestamps differ on every run, so
// they must never reach pattern matches, excerpts or goldens.

// "[   12.345678] " and, with CONFIG_PRINTK_CALLER, "[    T1] " after it; a
// leading "<4>" syslog level appears when the log was read with `dmesg -r`.
// Only the single space printk puts after the prefix is removed, so KTAP
// subtest indentation behind a timestamp survives.
const PRINTK_PREFIX = /^(?:<\d>)?\[\s*\d+\.\d+\](?:\[\s*[CT]\d+\])? ?/;

export function stripPrintkPrefix(line: string): string {
  return line.replace(PRINTK_PREFIX, '');
}

/**
 * Lines of `text` without terminators. A serial console gives "\r\n" and the
 * odd stray "\r"; a final newline does not make an extra empty line.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\r/g, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Width of the leading blanks (spaces or tabs, one column each). */
export function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}
