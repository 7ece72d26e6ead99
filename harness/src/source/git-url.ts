// What kind of place a git URL names, by git's own rules (git-fetch(1),
// "GIT URLS"): `<transport>::<address>` runs a remote helper, `scheme://` is a
// URL, `[user@]host:path` with no slash before the colon is ssh, anything
// else is a path on this machine. Pure: no network, no file system.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type GitUrlKind =
  | { kind: 'remote'; scheme: string }
  /** `ext::`, `fd::`...: git would run a command or use a file descriptor. */
  | { kind: 'helper'; transport: string }
  | { kind: 'local'; path: string };

/** Schemes a matrix may fetch from (git's own transports plus file://). */
export const ALLOWED_GIT_SCHEMES = ['https', 'git', 'ssh', 'git+ssh', 'ssh+git'] as const;

export function classifyGitUrl(url: string, baseDir: string): GitUrlKind {
  const helper = /^([A-Za-z][A-Za-z0-9+.-]*)::/.exec(url);
  if (helper) return { kind: 'helper', transport: helper[1] as string };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const s = (scheme[1] as string).toLowerCase();
    if (s === 'file') {
      try {
        return { kind: 'local', path: fileURLToPath(url) };
      } catch {
        return { kind: 'remote', scheme: s };
      }
    }
    return { kind: 'remote', scheme: s };
  }
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) return { kind: 'remote', scheme: 'ssh' };
  return { kind: 'local', path: isAbsolute(url) ? url : resolve(baseDir, url) };
}

/** Why git must not be handed this URL (it could read it as an option), or null. */
export function gitUrlProblem(url: string): string | null {
  return !url || url.startsWith('-') || /\s/.test(url) ? `git url "${url}" is not valid` : null;
}

/** A branch, tag, refs/... name or a full commit sha; never an option or a refspec. */
export function gitRefProblem(ref: string): string | null {
  return !ref || ref.startsWith('-') || !/^[A-Za-z0-9._/+-]+$/.test(ref) || ref.includes('..') ? `git ref "${ref}" must be a branch, tag or full commit sha` : null;
}

/** A relative local path made absolute against the config's directory; every other URL unchanged. */
export function resolveGitUrl(url: string, baseDir: string): string {
  // Not a URL at all: left for the check to refuse as written.
  if (!url || url.startsWith('-') || /\s/.test(url)) return url;
  const k = classifyGitUrl(url, baseDir);
  return k.kind === 'local' && !/^file:/i.test(url) ? k.path : url;
}
