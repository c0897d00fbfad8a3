// Builds the browser bundles of @switchboard/client (ESM, minified) and prints their sizes, raw and gzipped:
// the client (JSON codec), and the opt-in MessagePack codec (`@switchboard/client/msgpack`) on its own.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const bundles = [
  ['packages/client/src/index.ts', 'packages/client/dist/switchboard-client.min.js'],
  ['packages/client/src/msgpack.ts', 'packages/client/dist/switchboard-msgpack.min.js'],
];
for (const [entry, outfile] of bundles) {
  await build({ entryPoints: [entry], bundle: true, format: 'esm', minify: true, target: 'es2020', outfile, logLevel: 'warning' });
  const bytes = readFileSync(outfile);
  if (process.argv.includes('--size')) console.log(`${outfile}: ${bytes.length} bytes minified, ${gzipSync(bytes).length} bytes gzipped`);
}
