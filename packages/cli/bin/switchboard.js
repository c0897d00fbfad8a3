#!/usr/bin/env node
// A committed launcher: npm links bins at install time, before `prepare` has built dist/.
import { run } from '../dist/run.js';

await run(process.argv.slice(2));
