// ">=5.19 <6.3" style ranges over kernel versions (numeric, up to 3 parts;
// "-rc" and EXTRAVERSION suffixes are ignored: 6.3-rc1 counts as 6.3).

/** What `inRange` reads: ">=5.19 <6.3", "<6.10", "= 6.1", for schemas. */
export const VERSION_RANGE_PATTERN = '^\\s*([<>]=?|=)?\\s*[0-9]+(\\.[0-9]+){0,2}(\\s+([<>]=?|=)?\\s*[0-9]+(\\.[0-9]+){0,2})*\\s*$';

export function parseVersion(v: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
  if (!m) return [];
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function inRange(version: string, range: string): boolean {
  const terms = range.trim().split(/\s+/).filter(Boolean);
  let i = 0;
  while (i < terms.length) {
    let term = terms[i] as string;
    // Allow ">= 5.19" with a space after the operator.
    if (/^[<>]=?$|^=$/.test(term) && terms[i + 1]) {
      term += terms[i + 1];
      i++;
    }
    i++;
    const m = /^([<>]=?|=)?(.+)$/.exec(term);
    if (!m) return false;
    const op = m[1] ?? '=';
    const c = compareVersions(version, m[2] as string);
    const ok = op === '>=' ? c >= 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : op === '<' ? c < 0 : c === 0;
    if (!ok) return false;
  }
  return true;
}
