// Where a run keeps its records: one directory per cell under cells/,
// named from the cell id. Read by the runner that writes them, by the
// reports that embed their logs and by the plan check that refuses ids
// which would share a directory.

/** "6.1/x86_64/patched" -> "6.1_x86_64_patched": a cell id as a directory name. */
export function cellDirName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** A label (program, suite) as a file name in a cell directory. */
export function fileBaseName(label: string): string {
  return label.replace(/[^A-Za-z0-9._-]+/g, '.');
}
