import { fail, main } from './main.js';

/**
 * Runs the `switchboard` command the way `bin/switchboard.js` does: a failure, or anything that escapes later (a
 * rejected promise nobody awaited, a throw in a callback), is printed as one line and exits the process with its
 * code (`fail` in main.ts). A command that succeeds (serve, echo) keeps running on what it opened.
 */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  await main(argv).catch(fail);
}
