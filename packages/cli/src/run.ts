import { main } from './main.js';
import { StartupError, UsageError } from './usage-error.js';

/**
 * Runs the `switchboard` command the way `bin/switchboard.js` does: never rejects; prints
 * a usage error (exit code 2) or a start-up error (1) without a stack trace, anything
 * else with one (1), and reports through `process.exitCode`.
 */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    await main(argv);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      console.error(`switchboard: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof StartupError) {
      console.error(`switchboard: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
