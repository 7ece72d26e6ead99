// What `git bisect` and `git rev-list --bisect-all` print, as values. Pure:
// the runner hands over the text (stdout and stderr together, LC_ALL=C), the
// parsers never throw; text they do not recognise is an 'unknown' state with
// the text, which the runner reports as an infrastructure error.
//
// Recorded outputs of git 2.39 are the fixtures (harness/test/fixtures/bisect).

export type BisectState =
  /** git picked the next commit to test. */
  | { kind: 'next'; commit: string; subject: string; revisionsLeft: number; stepsLeft: number }
  /** Some old commit is not an ancestor of the new one: git wants their merge base tested first. */
  | { kind: 'merge-base'; commit: string; subject: string }
  /** "<sha> is the first bad commit" (or "first fixed commit" with --term-new=fixed). */
  | { kind: 'found'; commit: string; term: string }
  /** Only skipped commits are left: the answer is one of `candidates`. */
  | { kind: 'only-skipped'; candidates: string[] }
  /** "status: waiting for ..." after marking only one end. */
  | { kind: 'waiting' }
  /** Not a bisection git can do: an old commit is newer than the new one. */
  | { kind: 'not-ancestors'; message: string }
  | { kind: 'unknown'; text: string };

const SHA = '[0-9a-f]{40}(?:[0-9a-f]{24})?';

export function parseBisectOutput(text: string): BisectState {
  const found = new RegExp(`^(${SHA}) is the first (\\S+) commit$`, 'm').exec(text);
  if (found) return { kind: 'found', commit: found[1] as string, term: found[2] as string };
  if (/There are only 'skip'ped commits left to test/.test(text)) {
    const after = text.split(/The first \S+ commit could be any of:\n/)[1] ?? '';
    const candidates = [...after.matchAll(new RegExp(`^(${SHA})$`, 'gm'))].map((m) => m[1] as string);
    return { kind: 'only-skipped', candidates };
  }
  if (/are not ancestors of the/.test(text)) return { kind: 'not-ancestors', message: text.trim().split('\n').slice(0, 3).join(' ') };
  const picked = new RegExp(`^\\[(${SHA})\\] ?(.*)$`, 'm').exec(text);
  if (picked && /Bisecting: a merge base must be tested/.test(text)) {
    return { kind: 'merge-base', commit: picked[1] as string, subject: picked[2] ?? '' };
  }
  const left = /Bisecting: (\d+) revisions? left to test after this \(roughly (\d+) steps?\)/.exec(text);
  if (picked && left) {
    return { kind: 'next', commit: picked[1] as string, subject: picked[2] ?? '', revisionsLeft: Number(left[1]), stepsLeft: Number(left[2]) };
  }
  if (/^status: waiting for/m.test(text)) return { kind: 'waiting' };
  return { kind: 'unknown', text: text.trim().slice(-2000) };
}

/** One line of `git rev-list --bisect-all`: a candidate and how well testing it would halve the range. */
export interface RankedCommit {
  commit: string;
  dist: number;
}

/** "sha (dist=8)" or "sha (refs/bisect/skip-sha, dist=8)", best first as git prints them. */
export function parseBisectAll(text: string): RankedCommit[] {
  const re = new RegExp(`^(${SHA}) \\((?:[^)]*, )?dist=(\\d+)\\)`, 'gm');
  return [...text.matchAll(re)].map((m) => ({ commit: m[1] as string, dist: Number(m[2]) }));
}

/**
 * The commit to test after `skipped` could not be tested: the best-halving
 * candidate that is neither skipped nor already known (an end of the range
 * has dist 0). git's own choice after a skip jumps a pseudo-random distance
 * away to escape clusters of untestable commits; a kernel build break is
 * usually one commit fixed by the next, so its neighbour at almost the same
 * halving power is the cheaper bet. Null when every candidate is skipped.
 */
export function nextAfterSkip(ranked: readonly RankedCommit[], skipped: ReadonlySet<string>, known: ReadonlySet<string>): string | null {
  const best = [...ranked].filter((r) => !skipped.has(r.commit) && !known.has(r.commit) && r.dist > 0)
    .sort((a, b) => b.dist - a.dist);
  return best[0]?.commit ?? null;
}

/** Steps a bisection over `n` candidate commits needs without skips: ceil(log2 n). */
export function expectedSteps(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/** "931298e103c2 (\"mm/userfaultfd: rely on ...\")": how the kernel cites a commit (Fixes: lines, changelogs). */
export function commitReference(commit: string, subject: string): string {
  return `${commit.slice(0, 12)} ("${subject}")`;
}
