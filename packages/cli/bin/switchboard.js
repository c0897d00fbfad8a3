#!/usr/bin/env node
// A committed launcher: npm links bins at install time, before `prepare` has built dist/.
import '../dist/main.js';
