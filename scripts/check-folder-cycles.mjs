#!/usr/bin/env node
// No import loops between the folders of a package. dpdm (scripts/test.sh) finds loops between files; this finds
// them one level up, where a loop is a layering fault even when no file imports itself back.
//
//   node scripts/check-folder-cycles.mjs [--report] [package…]
//
// For each package, a unit is a first-level folder under src/ (`sessions/`) or a file directly in src/
// (`hooks.ts`). Every import counts, type-only ones too (`import type`, `export … from`, `import('…')` types):
// relative specifiers are resolved to the .ts files (`./x.js` → `./x.ts`); package imports are not edges.
// Prints each loop with the imports that make each arrow of it, and exits 1 if there is one (0 with --report).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const reportOnly = args.includes('--report');
const only = args.filter((a) => !a.startsWith('--'));
const MAX_CYCLES = 50; // per strongly connected group; the group itself is always printed

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return /\.[cm]?ts$/.test(e.name) ? [path] : [];
  });
}

/** The .ts file a relative specifier names, or undefined (not a source file of this package). */
function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base
      .replace(/\.js$/, '.ts')
      .replace(/\.mjs$/, '.mts')
      .replace(/\.cjs$/, '.cts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.[cm]?ts$/.test(c) && existsSync(c) && statSync(c).isFile());
}

/** Every module specifier of the file: imports, re-exports, `import x = require()`, `import()` calls and types. */
function specifiers(file) {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const found = info.importedFiles.map((f) => f.fileName);
  // preProcessFile misses `import('./x.js')` in type positions; walk the tree for those.
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const visit = (node) => {
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...new Set(found)];
}

const unitOf = (src, file) => {
  const [first, ...rest] = relative(src, file).split(sep);
  return rest.length ? `${first}/` : first;
};

/** Tarjan's strongly connected components with more than one unit. */
function loops(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const groups = [];
  const connect = (v) => {
    state.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!state.has(w)) {
        connect(w);
        state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
      } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
    if (state.get(v).low === state.get(v).index) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!state.has(v)) connect(v);
  return groups;
}

/** The elementary cycles inside one group, each starting at its smallest unit (at most MAX_CYCLES). */
function cyclesOf(group, graph) {
  const members = new Set(group);
  const cycles = [];
  for (const start of group) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (v) => {
      for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
        if (cycles.length >= MAX_CYCLES || !members.has(w)) continue;
        if (w === start) cycles.push([...path, start]);
        else if (w > start && !onPath.has(w)) {
          path.push(w);
          onPath.add(w);
          walk(w);
          onPath.delete(w);
          path.pop();
        }
      }
    };
    walk(start);
  }
  return cycles;
}

const packagesDir = join(root, 'packages');
let found = 0;
for (const name of readdirSync(packagesDir).sort()) {
  const src = join(packagesDir, name, 'src');
  if ((only.length && !only.includes(name)) || !existsSync(src)) continue;
  const graph = new Map(); // unit → unit → [file → file]
  for (const file of tsFiles(src)) {
    const from = unitOf(src, file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const specifier of specifiers(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      if (!target || relative(src, target).startsWith('..')) continue;
      const to = unitOf(src, target);
      if (to === from) continue;
      const edges = graph.get(from);
      if (!edges.has(to)) edges.set(to, []);
      edges.get(to).push(`${relative(src, file)} → ${relative(src, target)}`);
    }
  }
  for (const group of loops(graph)) {
    found++;
    console.log(`${name}: ${group.join(' ↔ ')}`);
    for (const cycle of cyclesOf(group, graph)) console.log(`  loop: ${cycle.join(' → ')}`);
    for (const from of group) {
      for (const [to, imports] of [...graph.get(from)].sort()) {
        if (!group.includes(to)) continue;
        console.log(`  ${from} → ${to}: ${imports.sort().join(', ')}`);
      }
    }
  }
}
if (found) {
  console.error(`${found} import loop(s) between folders; make the arrows point one way (move the shared types down).`);
  if (!reportOnly) process.exit(1);
} else console.log('No import loops between folders.');
