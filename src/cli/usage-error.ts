// A mistake on the command line (unknown flag, missing value). main() prints it with a hint to
// the command's --help and exits 2.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
