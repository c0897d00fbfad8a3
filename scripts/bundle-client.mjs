// Builds the browser bundles of @switchboard/client (ESM, minified) and, with --size, prints their sizes,
// raw and gzipped: the client (JSON codec), and the opt-in MessagePack codec (`@switchboard/client/msgpack`).
//
// The docs quote these sizes (docs/client.md#size in bytes, README.md's package table in KB), and the figures
// are pinned to the build: --check exits 1 when a quoted figure differs from the built bundle by more than the
// rounding it is shown with (test/client-bundle-size.test.ts runs it in `npm test`); --update-docs rewrites them.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const bundles = [
  ['packages/client/src/index.ts', 'packages/client/dist/switchboard-client.min.js'],
  ['packages/client/src/msgpack.ts', 'packages/client/dist/switchboard-msgpack.min.js'],
];
const sizes = new Map();
for (const [entry, outfile] of bundles) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2020',
    outfile,
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile);
  const size = { minified: bytes.length, gzipped: gzipSync(bytes).length };
  sizes.set(outfile, size);
  if (process.argv.includes('--size'))
    console.log(`${outfile}: ${size.minified} bytes minified, ${size.gzipped} bytes gzipped`);
}

const bytesText = (n) => `${n.toLocaleString('en-US')} B`;
const kbText = (n) => `${(n / 1000).toFixed(1)} KB gzipped`;
// Each quoted figure: where it is, how to find it, and what it should say for the built bundles.
const figures = [
  ...bundles.map(([, outfile]) => ({
    file: 'docs/client.md',
    pattern: new RegExp(`(\\| \`${outfile.replaceAll('.', '\\.')}\`[^|]*\\| )([\\d,]+ B) \\| ([\\d,]+ B) \\|`),
    expected: (m) => `${m[1]}${bytesText(sizes.get(outfile).minified)} | ${bytesText(sizes.get(outfile).gzipped)} |`,
  })),
  {
    file: 'README.md',
    pattern: /(\[`@switchboard\/client`\]\(packages\/client\)[^\n]*?)(\d+\.\d) KB gzipped/,
    expected: (m) => `${m[1]}${kbText(sizes.get(bundles[0][1]).gzipped)}`,
  },
];

if (process.argv.includes('--check') || process.argv.includes('--update-docs')) {
  const stale = [];
  const texts = new Map();
  for (const { file, pattern, expected } of figures) {
    const text = texts.get(file) ?? readFileSync(file, 'utf8');
    const m = pattern.exec(text);
    if (!m) throw new Error(`${file}: no bundle size figure matching ${pattern}`);
    const want = expected(m);
    if (m[0] !== want)
      stale.push(`${file}: says "${m[0].slice(m[1].length)}", the build gives "${want.slice(m[1].length)}"`);
    texts.set(file, text.replace(m[0], want));
  }
  if (process.argv.includes('--update-docs')) {
    for (const [file, text] of texts) writeFileSync(file, text);
    for (const line of stale) console.log(`updated ${line}`);
  } else if (stale.length > 0) {
    console.error(
      'The docs quote stale client bundle sizes (run `node scripts/bundle-client.mjs --update-docs`):\n' +
        stale.join('\n'),
    );
    process.exitCode = 1;
  }
}
