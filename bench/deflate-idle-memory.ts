// Server memory per idle permessage-deflate connection. Each server runs in its own child process; N `ws`
// clients (this process) each exchange one ~2 KB JSON message with it, compressed both ways, then all sit idle
// for 1 s, the child runs a full GC, and its VmRSS is read from /proc. The same server with N connections that
// negotiated no compression (client perMessageDeflate: false, same message) is the baseline; the difference
// divided by N is the extra memory an idle compressed connection costs. Each measurement is taken RUNS times,
// each time in a fresh child, and the medians are compared (RSS varies by a few MB from one process to the next).
// A second table shows what context takeover buys: compressed sizes of N messages sent in a row, in this process.
//
//   node --conditions=@switchboard/source --import tsx bench/deflate-idle-memory.ts [N=2000]
//
// Loopback only. Run it alone on the machine: it opens N connections 2 × RUNS times per configuration, one server at a
// time.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WS, { type PerMessageDeflateOptions as WSDeflate } from 'ws';
import { createNodeDeflateCodec } from '@switchboard/websocket';

const N = Number(process.argv[2] ?? 2000);
const RUNS = 3;
const BATCH = 100; // connections opened concurrently (the listen backlog is 511)

/** The server: echoes every message; on an IPC request runs GC and reports the negotiated extension header. */
const SERVER = `
const kind = process.env.BENCH_KIND, deflate = JSON.parse(process.env.BENCH_DEFLATE);
let port, negotiated = '';
if (kind === 'switchboard') {
  const { WebSocketServer } = await import('@switchboard/websocket');
  const server = new WebSocketServer({ perMessageDeflate: deflate });
  server.on('connection', (ws) => {
    negotiated = ws.extensions;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  ({ port } = await server.listen(0, '127.0.0.1'));
} else {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
  wss.on('headers', (lines) => {
    negotiated = (lines.find((l) => /^sec-websocket-extensions:/i.test(l)) ?? '').replace(/^[^:]*:\\s*/, '');
  });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((resolve) => wss.on('listening', resolve));
  port = wss.address().port;
}
process.on('message', () => (globalThis.gc(), globalThis.gc(), process.send({ negotiated })));
process.send({ port });
`;

/** `server`: the server's perMessageDeflate option; `client`: what the ws client offers (threshold 0 is added). */
interface Config {
  name: string;
  kind: 'switchboard' | 'ws';
  server: unknown;
  client: WSDeflate;
}

const CONFIGS: Config[] = [
  {
    name: 'Switchboard `perMessageDeflate: true` (no context takeover, pooled streams)',
    kind: 'switchboard',
    server: true,
    client: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  {
    name: 'Switchboard, context takeover both ways, windows 15',
    kind: 'switchboard',
    server: { serverNoContextTakeover: false, clientNoContextTakeover: false },
    client: {},
  },
  {
    name: 'Switchboard, context takeover both ways, windows 10',
    kind: 'switchboard',
    server: {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 10,
    },
    client: { serverMaxWindowBits: 10, clientMaxWindowBits: 10 },
  },
  {
    name: '`ws` 8 `perMessageDeflate: true` (its default: context takeover, windows 15)',
    kind: 'ws',
    server: true,
    client: {},
  },
];

/** ~2 KB of JSON, different per connection; and ~100 bytes, for the compression-ratio table. */
const message = (i: number) =>
  JSON.stringify({
    type: 'order-book',
    id: i,
    at: 1_700_000_000_000 + i,
    levels: Array.from({ length: 36 }, (_, k) => ({
      side: k % 2 ? 'ask' : 'bid',
      price: 100 + ((i + k * 7) % 97) / 100,
      size: (i * 13 + k) % 500,
      venue: 'XNAS',
    })),
  });
const small = (i: number) =>
  JSON.stringify({
    type: 'trade',
    id: i,
    symbol: 'ACME',
    price: 100 + (i % 97) / 100,
    size: (i * 13) % 500,
    at: 1_700_000_000_000 + i,
  });

const vmRss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

let running: ChildProcess | undefined;
process.on('exit', () => running?.pid && process.kill(running.pid, 'SIGKILL'));

/** Opens N connections to a fresh server, one echoed message each, then 1 s idle; returns the server's RSS. */
async function measure(config: Config, compressed: boolean): Promise<{ rss: number; negotiated: string }> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--conditions=@switchboard/source', '--import', 'tsx', '--input-type=module', '-e', SERVER],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_KIND: config.kind, BENCH_DEFLATE: JSON.stringify(config.server) },
    },
  );
  running = child;
  const clients: WS[] = [];
  try {
    const [{ port }] = await once(child, 'message');
    const perMessageDeflate = compressed ? { ...config.client, threshold: 0 } : false;
    for (let start = 0; start < N; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, N - start) }, async (_, k) => {
        const ws = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate });
        clients.push(ws);
        await once(ws, 'open');
        if (ws.extensions !== (compressed ? 'permessage-deflate' : ''))
          throw new Error(`negotiated "${ws.extensions}"`);
        const text = message(start + k);
        ws.send(text);
        const [echo] = await once(ws, 'message');
        if (String(echo) !== text) throw new Error('wrong echo');
      });
      await Promise.all(batch);
    }
    await sleep(1000);
    child.send('gc');
    const [{ negotiated }] = await once(child, 'message');
    return { rss: vmRss(child.pid!), negotiated };
  } finally {
    for (const ws of clients) ws.terminate();
    process.kill(child.pid!, 'SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    running = undefined;
  }
}

const MB = (bytes: number) => (bytes / 1e6).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const size = Buffer.byteLength(message(0));
console.log(
  `N = ${N} idle connections, one ${size}-byte JSON message echoed on each, median of ${RUNS} runs; ` +
    `Node ${process.version}, zlib ${process.versions.zlib}\n`,
);
const rows: string[] = [];
for (const config of CONFIGS) {
  const plain: number[] = [];
  const deflate: number[] = [];
  let negotiated = '';
  for (let run = 0; run < RUNS; run++) {
    plain.push((await measure(config, false)).rss);
    const result = await measure(config, true);
    deflate.push(result.rss);
    negotiated = result.negotiated;
  }
  const extra = (median(deflate) - median(plain)) / N / 1024;
  const noise = (Math.max(...plain) - Math.min(...plain)) / N / 1024;
  rows.push(
    `| ${config.name} | \`${negotiated}\` | ${MB(median(plain))} | ${MB(median(deflate))} | ` +
      `**${extra.toFixed(1)}** | ${noise.toFixed(1)} |`,
  );
  console.error(`measured: ${config.name}`);
}
console.log(
  '| Server configuration | Negotiated (server response) | RSS, uncompressed (MB) | RSS, compressed (MB) | ' +
    'Extra per idle compressed connection (KiB) | Baseline spread, max − min, per connection (KiB) |',
);
console.log('|---|---|---:|---:|---:|---:|');
for (const row of rows) console.log(row);

// The other side of the trade-off: bytes on the wire (payload, trailer dropped) for N messages in a row on one
// connection.
console.log(
  '\n| Messages | Window bits | Uncompressed (bytes/message) | Compressed, context takeover | Compressed, ' +
    'no context takeover |',
);
console.log('|---|---:|---:|---:|---:|');
const codec = createNodeDeflateCodec();
for (const [name, make] of [
  ['~2 KB JSON (as above)', message],
  ['~100 B JSON', small],
] as const) {
  for (const bits of [15, 10]) {
    let raw = 0,
      takeover = 0,
      fresh = 0;
    const kept = codec.acquireDeflate(bits);
    for (let i = 0; i < N; i++) {
      const bytes = Buffer.from(make(i));
      raw += bytes.length;
      takeover += kept.compress(bytes).length - 4;
      const single = codec.acquireDeflate(bits);
      fresh += single.compress(bytes).length - 4;
      codec.release(single);
    }
    console.log(
      `| ${name} | ${bits} | ${Math.round(raw / N)} | ${((takeover / raw) * 100).toFixed(1)} ` +
        `% | ${((fresh / raw) * 100).toFixed(1)} % |`,
    );
  }
}
