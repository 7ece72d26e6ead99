// What apt prints, read by pure functions (tested on recorded output in
// harness/test/fixtures/apt/). Nothing here runs apt.

/** One package as `apt-cache policy` shows it. */
export interface AptPolicy {
  installed: string | null;
  candidate: string | null;
  /** Every version the version table lists, as apt orders them (newest first). */
  versions: string[];
}

/** Parse `apt-cache policy PKG` for one package; null when apt does not know it. */
export function parseAptPolicy(text: string): AptPolicy | null {
  const field = (k: string) => {
    const v = new RegExp(`^\\s*${k}:\\s*(\\S+)`, 'm').exec(text)?.[1];
    return v && v !== '(none)' ? v : null;
  };
  const table = text.split(/^\s*Version table:\s*$/m)[1] ?? '';
  const versions = [...table.matchAll(/^\s{1,8}(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$/gm)].map((m) => m[1] as string);
  const info = { installed: field('Installed'), candidate: field('Candidate'), versions };
  return info.installed || info.candidate || versions.length > 0 ? info : null;
}

/**
 * Parse `apt-cache policy A B C`: one block per package apt knows, each
 * starting with "NAME:" in column 0. Packages apt does not know are absent.
 */
export function parseAptPolicies(text: string): Map<string, AptPolicy> {
  const out = new Map<string, AptPolicy>();
  const starts = [...text.matchAll(/^([A-Za-z0-9][A-Za-z0-9.+:~-]*):\s*$/gm)];
  starts.forEach((m, i) => {
    const end = starts[i + 1]?.index ?? text.length;
    const info = parseAptPolicy(text.slice(m.index, end));
    // "pkg:arch" only appears for foreign architectures, which we never configure.
    if (info) out.set(m[1] as string, info);
  });
  return out;
}

/** Package names from `apt-cache search --names-only` ("name - summary" lines), sorted by version-aware name. */
export function parseAptSearchNames(text: string): string[] {
  const names = text.split('\n').map((l) => /^(\S+) - /.exec(l)?.[1]).filter((n): n is string => !!n);
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** One line of `apt-get --print-uris download`: where apt would fetch a .deb from, and what the index says it is. */
export interface DebUri {
  url: string;
  fileName: string;
  size: number;
  /** From the (signature-checked) index; null when the index gives no SHA256. */
  sha256: string | null;
}

/** Parse `apt-get --print-uris download PKG=VERSION` ("'URL' FILE SIZE SHA256:HEX" per line). */
export function parsePrintUris(text: string): DebUri[] {
  const out: DebUri[] = [];
  for (const line of text.split('\n')) {
    const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const sha = /(?:^|\s)SHA256:([0-9a-fA-F]{64})(?:\s|$)/.exec(m[4] as string)?.[1];
    out.push({ url: m[1] as string, fileName: m[2] as string, size: Number(m[3]), sha256: sha ? sha.toLowerCase() : null });
  }
  return out;
}

/** The `E:` and `W:` lines of apt's stderr (what went wrong, without progress noise). */
export function aptMessages(stderr: string): string[] {
  return stderr.split('\n').map((l) => l.trim()).filter((l) => /^[EW]: /.test(l));
}

export type AptFailure = 'signature' | 'unreachable' | 'no-release' | 'other';

/** Why an `apt-get update` failed, from its messages (LC_ALL=C). */
export function classifyAptUpdateFailure(stderr: string): AptFailure {
  const text = aptMessages(stderr).join('\n');
  if (/NO_PUBKEY|is not signed|signatures? (?:couldn't be verified|were invalid)|EXPKEYSIG|KEYEXPIRED|OpenPGP signature verification failed/i.test(text)) return 'signature';
  if (/does not have a Release file|404\s+Not Found/i.test(text)) return 'no-release';
  if (/Could not (?:connect|resolve)|Temporary failure resolving|Connection (?:refused|timed out|failed)|Unable to connect|No route to host|Network is unreachable/i.test(text)) return 'unreachable';
  return 'other';
}
