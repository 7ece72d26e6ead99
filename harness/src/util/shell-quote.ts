// POSIX-shell quoting, one implementation for the two places a command
// becomes text: the escaped command line in logs, and the command an SSH exec
// channel hands to the guest's shell (built only from our paths and argv).
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
