// The compiler's and the linker's errors in a kernel build log, as
// file:line:column and message, tree paths made relative. A patch that does
// not build is told by these, not by "make failed". Pure, never throws.

export interface CompilerError {
  /** Tree-relative when the path shows where the tree starts ("mm/userfaultfd.c"). */
  file: string;
  line: number | null;
  column: number | null;
  /** The message without "error: " ("'vma' undeclared (first use in this function)"). */
  message: string;
  /** 1-based line in the log. */
  logLine: number;
}

const TOP_DIRS = 'arch|block|certs|crypto|drivers|fs|include|init|io_uring|ipc|kernel|lib|mm|net|rust|samples|scripts|security|sound|tools|usr|virt';
const TREE_PATH = new RegExp(`(?:^|/)((?:${TOP_DIRS})/.*)$`);
const COMPILER = /^(\S+?):(\d+):(?:(\d+):)? (?:fatal )?error: (.+)$/;
const LINKER = /^(?:\S*ld(?:\.\w+)?: )?(\S+?\.o): (?:in function `[^']*':\s*)?(?:\S+?:\(.*?\): )?(undefined reference to `[^']+'|multiple definition of `[^']+'.*)$/;

/** "/work/kernels/work/ab12-x86_64/src/mm/userfaultfd.c" or "../src/mm/x.c" -> "mm/userfaultfd.c". */
export function treeRelative(path: string): string {
  if (!path.startsWith('/') && !path.startsWith('../')) return path;
  return TREE_PATH.exec(path)?.[1] ?? path;
}

/** Every distinct error, in log order, at most `max`. */
export function compilerErrors(log: string, max = 10): CompilerError[] {
  const out: CompilerError[] = [];
  const seen = new Set<string>();
  const lines = log.split('\n');
  for (const [i, raw] of lines.entries()) {
    const l = raw.trim();
    let e: CompilerError | null = null;
    const c = COMPILER.exec(l);
    if (c) e = { file: treeRelative(c[1] ?? ''), line: Number(c[2]), column: c[3] ? Number(c[3]) : null, message: (c[4] ?? '').trim(), logLine: i + 1 };
    const k = c ? null : LINKER.exec(l);
    if (k) e = { file: treeRelative(k[1] ?? ''), line: null, column: null, message: k[2] ?? '', logLine: i + 1 };
    if (!e) continue;
    const key = `${e.file}:${e.line}:${e.column}:${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

/** "mm/userfaultfd.c:748:62: error: 'vma' undeclared ..." as gcc prints it, path made relative. */
export function formatCompilerError(e: CompilerError): string {
  return `${e.file}${e.line !== null ? `:${e.line}` : ''}${e.column !== null ? `:${e.column}` : ''}: error: ${e.message}`;
}
