/** What every CLI error carries: a stable code and, where there is one, how to fix it (printed in parentheses). */
abstract class CliError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Bad command-line input (a flag, a value, a config file): one line without a stack trace, exit code 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  readonly code = 'SB_ERR_USAGE';
}

/**
 * The command could not start or run (an engine unreachable, a port taken, a peer not answering): one line, exit code
 * 1.
 */
export class StartupError extends CliError {
  override name = 'StartupError';
  readonly code = 'SB_ERR_STARTUP';
}

/** Parses a non-negative integer option, naming the option when it is not one. */
export function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}
