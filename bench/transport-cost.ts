// Scenario T of `npm run bench`: the same channel fan-out over each transport, side by side —
// WebSocket, uni SSE, HTTP streaming, long-polling and WebSocket over HTTP/2 (RFC 8441). Each
// transport gets a fresh server process; N subscribers join one channel; publications come in
// through the HTTP API at a fixed rate. Reported: server CPU per delivery (from the first publish
// until every subscriber has every publication) and server memory per connection after a full GC.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicros } from '@switchboard/loadtest';
import { WebSocket } from '@switchboard/websocket';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import { API_KEY, CHANNEL } from './lib/realtime-bench.js';

export const TRANSPORTS = ['websocket', 'sse', 'http-stream', 'long-poll', 'websocket-h2'] as const;
type TransportKind = (typeof TRANSPORTS)[number];

export interface TransportRow {
  transport: TransportKind;
  /** Which checkout's server: '' for this one, '@base' for `--baseline`'s. */
  build: string;
  deliveriesPerSecond: number;
  cpuPerDelivery: number;
  rssPerConn: number;
  heapPerConn: number;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const MARK = '"push":"publication"';
const CONNECT = JSON.stringify({ id: 1, method: 'connect', params: { subs: { [CHANNEL]: {} } } });

/** Counts publication pushes in a byte stream, across chunk boundaries. */
function counter(onCount: (n: number) => void): (chunk: Buffer | string) => void {
  let tail = '';
  return (chunk) => {
    const text = tail + chunk.toString();
    let n = 0;
    for (let i = text.indexOf(MARK); i >= 0; i = text.indexOf(MARK, i + MARK.length)) n++;
    tail = text.slice(-MARK.length + 1);
    if (n) onCount(n);
  };
}

interface Subscribers {
  ready(): number;
  close(): void;
}

function openSubscribers(
  kind: TransportKind,
  n: number,
  ports: [number, number],
  cert: Buffer,
  onDelivery: (n: number) => void,
): Subscribers {
  let ready = 0;
  const closers: (() => void)[] = [];
  const agent = new HttpAgent({ keepAlive: true, maxSockets: Infinity });
  const http = `http://127.0.0.1:${ports[0]}`;
  const count = () => counter(onDelivery);
  for (let i = 0; i < n; i++) {
    if (kind === 'websocket' || kind === 'websocket-h2') {
      const ws =
        kind === 'websocket'
          ? new WebSocket(`ws://127.0.0.1:${ports[0]}/connection/websocket`, 'switchboard.v1.json')
          : new UndiciWebSocket(`wss://127.0.0.1:${ports[1]}/connection/websocket`, {
              protocols: ['switchboard.v1.json'],
              dispatcher: h2Agent(i, cert),
            } as never);
      const c = count();
      let first = true;
      ws.onopen = () => ws.send(CONNECT);
      ws.onmessage = (e: { data: unknown }) => {
        if (first) (first = false), ready++;
        else c(String(e.data));
      };
      closers.push(() => ws.close());
    } else if (kind === 'sse' || kind === 'http-stream') {
      const req = request(
        kind === 'sse' ? `${http}/connection/sse?channel=${CHANNEL}` : `${http}/connection/stream`,
        { method: kind === 'sse' ? 'GET' : 'POST', agent: false },
        (res) => {
          const c = count();
          let first = true;
          res.on('data', (chunk: Buffer) => {
            if (first) (first = false), ready++;
            c(chunk);
          });
        },
      );
      req.end(kind === 'sse' ? undefined : CONNECT);
      closers.push(() => req.destroy());
    } else {
      let stopped = false;
      const post = (path: string, body: string) =>
        new Promise<string>((resolve, reject) => {
          const req = request(
            `${http}${path}`,
            { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      void (async () => {
        const { session, node } = JSON.parse(await post('/connection/poll/open', CONNECT)) as {
          session: string;
          node: string;
        };
        let cursor = 0;
        let first = true;
        while (!stopped) {
          const { frames } = JSON.parse(
            await post('/connection/poll', JSON.stringify({ node, session, cursor, waitMs: 25_000 })),
          ) as { frames: { seq: number; data: string }[] };
          for (const f of frames) {
            cursor = f.seq;
            if (f.data.includes(MARK)) onDelivery(1);
          }
          if (first && frames.length) (first = false), ready++;
        }
      })().catch(() => {});
      closers.push(() => (stopped = true));
    }
  }
  return { ready: () => ready, close: () => closers.forEach((c) => c()) };
}

const agents = new Map<number, Agent>();
/** One HTTP/2 connection per 100 WebSockets (streams multiplexed on it). */
function h2Agent(i: number, cert: Buffer): Agent {
  const k = Math.floor(i / 100);
  let a = agents.get(k);
  if (!a) agents.set(k, (a = new Agent({ allowH2: true, connect: { ca: cert } })));
  return a;
}

/** `BENCH_CPU_PROF=DIR`: each transport server writes a V8 CPU profile (`node --cpu-prof`) into DIR. */
const PROFILE = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

/** The transports' bench server of this checkout, or of another one (`--baseline`), run from its own bench/ folder. */
const serverFile = (checkout?: string) =>
  checkout ? join(checkout, 'bench/servers/switchboard-transports.ts') : here('servers/switchboard-transports.ts');

async function startServer(checkout?: string): Promise<{ child: ChildProcess; ports: [number, number]; cert: Buffer }> {
  const child = spawn(
    process.execPath,
    [...PROFILE, '--expose-gc', '--import', 'tsx', '--import', here('lib/memory-probe.ts'), serverFile(checkout)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('READY ') && resolve(l));
    child.once('exit', (code) => reject(new Error(`transport bench server exited with ${code}`)));
  });
  const [, ports, certFile] = line.split(' ');
  return { child, ports: ports.split(',').map(Number) as [number, number], cert: readFileSync(certFile) };
}

function memory(child: ChildProcess): Promise<{ heap: number; rss: number }> {
  const answer = new Promise<{ heap: number; rss: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { heap: number; rss: number })),
  );
  child.send('memory');
  return answer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One transport: N subscribers, `rate` publications/s for `seconds`. */
export async function measureTransport(
  kind: TransportKind,
  n: number,
  rate: number,
  seconds: number,
  checkout?: string,
): Promise<TransportRow> {
  const { child, ports, cert } = await startServer(checkout);
  try {
    const before = await memory(child);
    let delivered = 0;
    const subs = openSubscribers(kind, n, ports, cert, (k) => (delivered += k));
    // Ready = the first message (connect reply, or for SSE the head); long-polls are ready after the first poll answer.
    const deadline = Date.now() + 30_000;
    while (subs.ready() < n && Date.now() < deadline) await sleep(50);
    if (subs.ready() < n) throw new Error(`${kind}: only ${subs.ready()}/${n} subscribers ready`);
    await sleep(500);
    const joined = await memory(child);
    const publishAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
    const publish = (i: number) =>
      new Promise<void>((resolve) => {
        const req = request(
          `http://127.0.0.1:${ports[0]}/api/publish`,
          {
            method: 'POST',
            agent: publishAgent,
            headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
          },
          (res) => res.resume().on('end', resolve),
        );
        req.end(JSON.stringify({ channel: CHANNEL, data: { i, pad: 'x'.repeat(40) } }));
      });
    delivered = 0;
    const total = rate * seconds;
    const cpu0 = cpuMicros(child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      await publish(i);
      const due = t0 + ((i + 1) * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const end = Date.now() + 20_000;
    while (delivered < total * n && Date.now() < end) await sleep(20);
    const cpu = cpuMicros(child.pid!) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    subs.close();
    publishAgent.destroy();
    return {
      transport: kind,
      deliveriesPerSecond: delivered / wall,
      cpuPerDelivery: cpu / Math.max(delivered, 1),
      rssPerConn: (joined.rss - before.rss) / n,
      heapPerConn: (joined.heap - before.heap) / n,
    };
  } finally {
    // Profiling: SIGTERM so the server exits normally and writes its profile.
    child.kill(PROFILE.length ? 'SIGTERM' : 'SIGKILL');
    for (const a of agents.values()) void a.close();
    agents.clear();
  }
}

/** Every transport, `reps` times interleaved; the median of each. */
/**
 * Every transport, `reps` times, interleaved; with `baseline` (another checkout, built) each run of ours is
 * followed by the same run of its server, so both face the same machine state.
 */
export async function measureTransports(options: {
  subscribers: number;
  rate: number;
  seconds: number;
  reps: number;
  baseline?: string;
}): Promise<TransportRow[]> {
  const builds: [string, string | undefined][] = [
    ['', undefined],
    ...(options.baseline ? [['@base', options.baseline] as [string, string]] : []),
  ];
  const runs = new Map<string, TransportRow[]>();
  for (let rep = 0; rep < options.reps; rep++) {
    for (const t of TRANSPORTS) {
      for (const [build, checkout] of builds) {
        process.stdout.write(`  T transports: ${t}${build} run ${rep + 1}/${options.reps} … `);
        const row = {
          ...(await measureTransport(t, options.subscribers, options.rate, options.seconds, checkout)),
          build,
        };
        runs.set(t + build, [...(runs.get(t + build) ?? []), row]);
        console.log(`${row.cpuPerDelivery.toFixed(2)} µs/delivery, ${row.rssPerConn.toFixed(0)} B RSS/conn`);
      }
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [...runs.values()].map((rs) => ({
    transport: rs[0].transport,
    build: rs[0].build,
    deliveriesPerSecond: med(rs.map((r) => r.deliveriesPerSecond)),
    cpuPerDelivery: med(rs.map((r) => r.cpuPerDelivery)),
    rssPerConn: med(rs.map((r) => r.rssPerConn)),
    heapPerConn: med(rs.map((r) => r.heapPerConn)),
  }));
}
