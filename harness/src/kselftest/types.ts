// The kernel's own selftests (tools/testing/selftests/<dir>), built from the
// tree under test and shipped into the guest next to our own C selftest.
import { Type, type Static } from '@sinclair/typebox';

const VERSION = '^[0-9]+(\\.[0-9]+){0,2}$';
/** Relative, no "..", a C file: sources never leave tools/testing/selftests. */
const SOURCE_PATH = '^(?!/)(?!(.*/)?\\.\\.(/|$))[A-Za-z0-9_+./-]+\\.c$';

const ARCH_NAME = Type.String({ pattern: '^[a-z0-9_-]+$' });

/** An arch of a catalog program with its own version bounds. */
const ArchVersionsSchema = Type.Object({
  name: ARCH_NAME,
  minVersion: Type.Optional(Type.String({ pattern: VERSION })),
  maxVersion: Type.Optional(Type.String({ pattern: VERSION })),
}, { additionalProperties: false });

export type KselftestArchEntry = string | Static<typeof ArchVersionsSchema>;

/** One entry of a kselftest catalog (configs/kselftests/*.yaml). */
export const KselftestProgramSchema = Type.Object({
  /** Stable name, e.g. "soft-dirty", "userfaultfd-anon", "mkdirty", "uffd-unit-tests". Also the binary's file name. */
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', maxLength: 64 }),
  /**
   * Candidate source lists relative to tools/testing/selftests; the first
   * whose files all exist in the tree wins, e.g.
   * [["mm/soft-dirty.c","mm/vm_util.c"],["vm/soft-dirty.c","vm/vm_util.c"]].
   */
  sources: Type.Array(Type.Array(Type.String({ pattern: SOURCE_PATH }), { minItems: 1 }), { minItems: 1 }),
  /** Extra compiler flags (after ours). */
  cflags: Type.Array(Type.String({ pattern: '^-' }), { default: [] }),
  /** Libraries, e.g. ["-lpthread","-lm","-lrt"]. */
  ldlibs: Type.Array(Type.String({ pattern: '^-' }), { default: [] }),
  /** Command-line arguments in the guest, e.g. userfaultfd: ["anon", "16", "8"]. */
  args: Type.Array(Type.String(), { default: [] }),
  timeoutMs: Type.Integer({ minimum: 1000, maximum: 4 * 3600_000 }),
  /** Shell lines run in the guest first, e.g. "echo 64 > /proc/sys/vm/nr_hugepages". */
  setup: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /**
   * Kernel versions the program applies to; outside, it is skipped with a
   * reason. Both inclusive, compared on as many parts as given:
   * minVersion "6.3" = ">= 6.3.0", maxVersion "6.3" = "any 6.3.y and below".
   */
  minVersion: Type.Optional(Type.String({ pattern: VERSION })),
  maxVersion: Type.Optional(Type.String({ pattern: VERSION })),
  /**
   * Arch names (configs/arch/*.yaml `name` or an alias); absent = all. An
   * entry may narrow the versions for its arch, both bounds read like
   * minVersion/maxVersion above: `[x86_64, { name: arm64, minVersion: "6.10" }]`
   * (arm64 has uffd-wp from 6.10).
   */
  arches: Type.Optional(Type.Array(Type.Union([ARCH_NAME, ArchVersionsSchema]), { minItems: 1 })),
  /** Why it is in the catalog (what it guards against); for people and reports. */
  why: Type.Optional(Type.String()),
}, { additionalProperties: false });

export type KselftestProgram = Static<typeof KselftestProgramSchema>;

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
