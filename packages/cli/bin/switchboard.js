#!/usr/bin/env node
// A committed launcher: npm links bins at install time, before `prepare` has built dist/.
import { run } from '../dist/run.js';

await run(process.argv.slice(2));
// A command that failed exits now, whatever it left open (a start-up that failed can leave an
// engine client retrying); one that succeeded (serve, echo) keeps running on what it opened.
if (process.exitCode) process.exit();
