#!/usr/bin/env node
// Fails when a source file has a line longer than 120 characters (code points), the formatter's lineWidth.
// Biome wraps code but not comments or long string literals: `npm run format` re-wraps comments
// (scripts/wrap-comments.mjs), and a long string is split by hand.
//
//   node scripts/check-line-length.mjs [--max=120] [--summary] [path…]
//
// Prints file:line: length for each long line (or, with --summary, a count per file), and exits 1 if any.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from './lib/source-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const max = Number(args.find((a) => a.startsWith('--max='))?.slice('--max='.length) ?? 120);
const summary = args.includes('--summary');
const paths = args.filter((a) => !a.startsWith('--'));

let total = 0;
let longest = 0;
const perFile = [];
for (const file of sourceFiles(root, paths)) {
  const lines = readFileSync(new URL(file, `file://${root}`), 'utf8').split('\n');
  let count = 0;
  lines.forEach((line, i) => {
    const length = [...line.replace(/\r$/, '')].length;
    if (length <= max) return;
    count++;
    longest = Math.max(longest, length);
    if (!summary) console.log(`${file}:${i + 1}: ${length} characters`);
  });
  if (count) perFile.push([file, count]);
  total += count;
}
if (summary) {
  perFile.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [file, count] of perFile) console.log(`${String(count).padStart(5)}  ${file}`);
}
if (total) {
  console.error(`${total} line(s) over ${max} characters in ${perFile.length} file(s), the longest ${longest}.`);
  process.exit(1);
}
