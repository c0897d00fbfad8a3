// What one connection keeps on the heap, object by object: a heap-snapshot diff.
//
//   node --import tsx bench/heap-per-connection.ts [--server=switchboard-server|switchboard] [--connections=2000]
//
// Starts the bench server with --expose-gc and the memory probe, takes a heap snapshot after a full GC,
// connects N subscribers (the load generator's channel mode: connect + subscribe to one channel; for the
// bare core, N idle WebSockets), takes a second snapshot, and prints the difference per connection,
// grouped by what V8 calls each object (constructor name, or closure / array / string / …).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadConfig } from './load-generator.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const server = arg('server', 'switchboard-server');
const N = Number(arg('connections', '2000'));
const here = (p: string) => new URL(p, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sb-heap-'));

type Groups = Map<string, { count: number; bytes: number }>;

/** Objects without a telling name are grouped by what holds them: `Object ← Session.identity`. */
const VAGUE = new Set([
  'Object',
  'Array',
  '(array)',
  '(string)',
  '(hidden)',
  '(object shape)',
  '(number)',
  '(concatenated string)',
  '(sliced string)',
]);

/** Sums self sizes by (node type, name) over a .heapsnapshot file; JIT code is left out (it is not per connection). */
function groups(file: string): Groups {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
    };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const { meta } = snap.snapshot;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const [TYPE, NAME, SIZE, EDGES, STRIDE] = [
    fields.indexOf('type'),
    fields.indexOf('name'),
    fields.indexOf('self_size'),
    fields.indexOf('edge_count'),
    fields.length,
  ];
  const [E_TYPE, E_NAME, E_TO, E_STRIDE] = [
    meta.edge_fields.indexOf('type'),
    meta.edge_fields.indexOf('name_or_index'),
    meta.edge_fields.indexOf('to_node'),
    meta.edge_fields.length,
  ];
  const keyOf = (i: number) => {
    const type = types[snap.nodes[i + TYPE]];
    const name = snap.strings[snap.nodes[i + NAME]];
    return type === 'object' || type === 'closure' || type === 'native'
      ? `${type === 'object' ? '' : `${type} `}${name}`
      : `(${type})`;
  };
  // The first strong retainer of each node, by edge: `Parent.edge`.
  const holder = new Map<number, string>();
  for (let i = 0, e = 0; i < snap.nodes.length; i += STRIDE) {
    for (let k = snap.nodes[i + EDGES]; k > 0; k--, e += E_STRIDE) {
      const to = snap.edges[e + E_TO];
      const edgeType = edgeTypes[snap.edges[e + E_TYPE]];
      if (holder.has(to) || edgeType === 'weak' || edgeType === 'shortcut') continue;
      const edgeName =
        edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : snap.strings[snap.edges[e + E_NAME]];
      holder.set(to, `${keyOf(i)}.${edgeName}`);
    }
  }
  const out: Groups = new Map();
  for (let i = 0; i < snap.nodes.length; i += STRIDE) {
    let key = keyOf(i);
    if (key === '(code)') continue;
    if (VAGUE.has(key)) key = `${key} ← ${holder.get(i) ?? '?'}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + SIZE];
    out.set(key, g);
  }
  return out;
}

const child = spawn(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', '--import', here('lib/memory-probe.ts'), here(`servers/${server}.ts`)],
  {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, MODE: 'fanout' },
  },
);
const port = await new Promise<number>((resolve) =>
  createInterface({ input: child.stdout! }).on(
    'line',
    (l) => l.startsWith('READY ') && resolve(Number(l.split(' ')[1])),
  ),
);
const snapshot = (name: string) =>
  new Promise<string>((resolve) => {
    child.once('message', (m) => resolve((m as { snapshot: string }).snapshot));
    child.send({ snapshot: join(dir, name) });
  });

const before = await snapshot('before.heapsnapshot');
const realtime = server === 'switchboard-server';
const load: LoadConfig = {
  mode: realtime ? 'channel' : 'idle',
  protocol: realtime ? 'switchboard' : 'ws',
  port,
  connections: N,
  seconds: 1,
  depth: 1,
  payloadBytes: 64,
  deflate: false,
  payload: 'bytes',
};
const gen = spawn(process.execPath, ['--import', 'tsx', here('load-generator.ts'), JSON.stringify(load)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
await new Promise<void>((resolve) =>
  createInterface({ input: gen.stdout! }).on('line', (l) => (l === 'JOINED' || l === 'START') && resolve()),
);
await new Promise((r) => setTimeout(r, 1000));
const joined = await snapshot('joined.heapsnapshot');
gen.kill('SIGKILL');
child.kill('SIGKILL');

const a = groups(before);
const b = groups(joined);
rmSync(dir, { recursive: true, force: true });
const rows = [...b]
  .map(([key, g]) => ({
    key,
    count: (g.count - (a.get(key)?.count ?? 0)) / N,
    bytes: (g.bytes - (a.get(key)?.bytes ?? 0)) / N,
  }))
  .filter((r) => Math.abs(r.bytes) >= 2)
  .sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
console.log(`${server}: ${N} connections; heap self size per connection ${total.toFixed(0)} B (JIT code left out)\n`);
console.log('| object | count/conn | bytes/conn |\n|---|---:|---:|');
for (const r of rows.slice(0, 60)) console.log(`| ${r.key} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`);
