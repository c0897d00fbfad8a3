/** Bad command-line input: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not start (its engine is unreachable): printed without a stack trace, exit code 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Parses a non-negative integer option, naming the option when it is not one. */
export function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}
