// Builds the browser bundle of @switchboard/client (ESM, minified) and prints its size, raw and gzipped.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const outfile = 'packages/client/dist/switchboard-client.min.js';
await build({ entryPoints: ['packages/client/src/index.ts'], bundle: true, format: 'esm', minify: true, target: 'es2020', outfile, logLevel: 'warning' });
const bytes = readFileSync(outfile);
if (process.argv.includes('--size')) console.log(`${outfile}: ${bytes.length} bytes minified, ${gzipSync(bytes).length} bytes gzipped`);
