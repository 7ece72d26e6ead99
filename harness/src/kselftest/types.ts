// The kernel's own selftests (tools/testing/selftests/<dir>), built from the
// tree under test and shipped into the guest next to our own C selftest.

/** One entry of a kselftest catalog (configs/kselftests/*.yaml). */
export interface KselftestProgram {
  /** Stable name, e.g. "soft-dirty", "userfaultfd-anon", "mkdirty", "uffd-unit-tests". Also the binary's file name. */
  name: string;
  /**
   * Candidate source lists relative to tools/testing/selftests; the first
   * whose files all exist in the tree wins, e.g.
   * [["mm/soft-dirty.c","mm/vm_util.c"],["vm/soft-dirty.c","vm/vm_util.c"]].
   */
  sources: string[][];
  /** Extra compiler flags (after ours). */
  cflags?: string[];
  /** Libraries, e.g. ["-lpthread","-lm","-lrt"]. */
  ldlibs?: string[];
  /** Command-line arguments in the guest, e.g. userfaultfd: ["anon", "16", "8"]. */
  args: string[];
  timeoutMs: number;
  /** Shell lines run in the guest first, e.g. "echo 64 > /proc/sys/vm/nr_hugepages". */
  setup?: string[];
  /**
   * Kernel versions the program applies to; outside, it is skipped with a
   * reason. Both inclusive, compared on as many parts as given:
   * minVersion "6.3" = ">= 6.3.0", maxVersion "6.3" = "any 6.3.y and below".
   */
  minVersion?: string;
  maxVersion?: string;
  /** Arch names (configs/arch/*.yaml `name` or an alias); absent = all. */
  arches?: string[];
  /** Why it is in the catalog (what it guards against); for people and reports. */
  why?: string;
}

export interface BuiltKselftest {
  name: string;
  /** Local static binary (in the cache; read-only for callers). */
  path: string;
  args: string[];
  timeoutMs: number;
  setup: string[];
}

export interface SkippedKselftest {
  name: string;
  /** e.g. "not in this tree (looked for mm/mkdirty.c, vm/mkdirty.c)" or "compile failed: <first error line>". */
  reason: string;
}
