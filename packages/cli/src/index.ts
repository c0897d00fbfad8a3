/**
 * @switchboard/cli as a library: `main(argv)` runs one command and rejects with a
 * `UsageError` or `StartupError`; `run(argv)` is what the `switchboard` bin calls. Importing
 * this module runs nothing.
 */
export { main } from './main.js';
export { run } from './run.js';
export { StartupError, UsageError } from './usage-error.js';
