// `npm run bench [-- --quick] [--only=C,D] [--impl=switchboard,ws]`: every scenario against every server,
// each server in its own process, runs interleaved (A B A B …), medians reported with ratios to ws.
// The real-time server (switchboard-server) runs only in the scenario that names it (G).
// Scenario I (100,000 connections, bench/hundred-k.ts) runs only with --only=I.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMicros, median, rssBytes, tcpSocketMemory, writeSyscalls } from '@switchboard/loadtest';
import type { LoadConfig } from './load-generator.js';
import { runScenarioI } from './hundred-k.js';
import { measureTransports } from './transport-cost.js';
import { BENCH_WEBHOOK_SECRET, runScenarioW, startSink } from './webhooks.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const implFilter = args
  .find((a) => a.startsWith('--impl='))
  ?.slice(7)
  .split(',');
/**
 * `--baseline=DIR`: another checkout (built), whose real-time servers run beside ours as `<name>@base`, interleaved.
 */
const baselineDir = args.find((a) => a.startsWith('--baseline='))?.slice(11);
const REPS = quick ? 1 : 3;
const SECONDS = quick ? 2 : 5;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Impl {
  name: string;
  file: string;
  protocol: LoadConfig['protocol'];
  /** A real-time server with its own protocol, not a WebSocket server: only in scenarios that list it in `impls`. */
  realtime?: true;
  /** The broker a cluster runs on, whose CPU is reported apart. */
  broker?: 'Redis' | 'NATS';
  env?: Record<string, string>;
  /** The load generator offers permessage-deflate (no context takeover). */
  deflate?: true;
}
const uwsAvailable = (() => {
  try {
    createRequire(import.meta.url)('uwebsockets');
    return true;
  } catch {
    return false;
  }
})();
const ALL_IMPLS: Impl[] = [
  { name: 'switchboard-server', file: 'servers/switchboard-server.ts', protocol: 'switchboard', realtime: true },
  {
    name: 'switchboard-server-msgpack',
    file: 'servers/switchboard-server.ts',
    protocol: 'switchboard-msgpack',
    realtime: true,
  },
  // G with webhooks on: every lifecycle event goes to a receiver in this process (WEBHOOK_URL is set in main()).
  {
    name: 'switchboard-server-webhooks',
    file: 'servers/switchboard-server.ts',
    protocol: 'switchboard',
    realtime: true,
    env: { WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET },
  },
  { name: 'switchboard-server-pusher', file: 'servers/switchboard-server.ts', protocol: 'pusher', realtime: true },
  {
    name: 'switchboard-server-deflate',
    file: 'servers/switchboard-server.ts',
    protocol: 'switchboard',
    realtime: true,
    env: { COMPRESSION: '1' },
    deflate: true,
  },
  {
    name: 'switchboard-3-nodes-redis',
    file: 'servers/switchboard-cluster.ts',
    protocol: 'switchboard',
    realtime: true,
    broker: 'Redis',
  },
  {
    name: 'switchboard-3-nodes-nats',
    file: 'servers/switchboard-cluster.ts',
    protocol: 'switchboard',
    realtime: true,
    broker: 'NATS',
    env: { ENGINE: 'nats' },
  },
  { name: 'switchboard', file: 'servers/switchboard.ts', protocol: 'ws' },
  { name: 'ws', file: 'servers/ws.ts', protocol: 'ws' },
  ...(uwsAvailable ? [{ name: 'uWS.js', file: 'servers/uws.ts', protocol: 'ws' as const }] : []),
  { name: 'socket.io', file: 'servers/socket-io.ts', protocol: 'socketio' },
];
const IMPLS = [
  ...ALL_IMPLS,
  ...(baselineDir
    ? ALL_IMPLS.filter((i) => i.realtime).map((i) => ({
        ...i,
        name: `${i.name}@base`,
        file: join(baselineDir, 'bench', i.file),
      }))
    : []),
].filter((i) => !implFilter || implFilter.includes(i.name.replace(/@base$/, '')));

interface Scenario {
  id: string;
  title: string;
  unit: string;
  load: Omit<LoadConfig, 'port' | 'protocol'>;
  env?: Record<string, string>;
  skip?: string[];
  /** The servers compared, when not every WebSocket server. */
  impls?: string[];
  /** The server the ratio column divides by. @default 'ws' */
  baseline?: string;
  /**
   * Read the server's heap and RSS after a full GC, before the generator connects and once all its connections have
   * joined.
   */
  memory?: true;
  /** Turns the generator's result and server measurements into [main figure, extra columns]. */
  score(r: Record<string, number>, m: Measured): { value: number; cpuPerUnit: number; extra: string };
}
interface Measured {
  /** Server CPU: the server process, or every node of a cluster. */
  cpu: number;
  /** The broker's CPU (Redis, NATS), when the server runs on one. */
  brokerCpu?: number;
  broker?: string;
  genCpu: number;
  /** Write syscalls of the server's processes over the window. */
  writes: number;
  wall: number;
  rssBefore: number;
  rssAfter: number;
  sockBefore: number;
  sockAfter: number;
  /** Heap and RSS after GC, empty and with every connection joined, when the scenario asks for them. */
  memBefore?: Memory;
  memJoined?: Memory;
}
interface Memory {
  heap: number;
  rss: number;
}

const base = { seconds: SECONDS, depth: 1, payloadBytes: 64, deflate: false, payload: 'bytes' as const };
const idleN = quick ? 2000 : 10000;
const CHANNEL_SUBSCRIBERS = 5000;
const ALL_SCENARIOS: Scenario[] = [
  {
    id: 'A',
    title: `idle connections (${idleN})`,
    unit: 'server RSS bytes/conn',
    load: { ...base, mode: 'idle', connections: idleN },
    score: (_r, m) => ({
      value: (m.rssAfter - m.rssBefore) / idleN,
      cpuPerUnit: NaN,
      extra: `kernel TCP mem ${((m.sockAfter - m.sockBefore) / idleN).toFixed(0)} B/conn`,
    }),
  },
  {
    id: 'B',
    title: 'handshakes, concurrency 50',
    unit: 'handshakes/s',
    load: { ...base, mode: 'handshake', connections: 50 },
    score: (r, m) => ({ value: r.handshakes / r.seconds, cpuPerUnit: m.cpu / r.handshakes, extra: '' }),
  },
  {
    id: 'C',
    title: 'echo, 100 conns × 16 in flight, 64 B',
    unit: 'messages/s',
    load: { ...base, mode: 'echo', connections: 100, depth: 16 },
    score: (r, m) => ({
      value: r.messages / r.seconds,
      cpuPerUnit: m.cpu / r.messages,
      extra: `RTT p50 ${r.rttP50.toFixed(2)} ms, p99 ${r.rttP99.toFixed(2)} ms`,
    }),
  },
  ...[1000, 5000].map(
    (n): Scenario => ({
      id: n === 1000 ? 'D1' : 'D2',
      title: `fan-out to ${n} subscribers, 64 B`,
      unit: 'deliveries/s',
      load: { ...base, mode: 'fanout', connections: n, depth: 4 },
      env: { MODE: 'fanout' },
      score: (r, m) => ({
        value: r.deliveries / r.seconds,
        cpuPerUnit: m.cpu / r.deliveries,
        extra:
          `${(m.writes / r.deliveries).toFixed(3)} writes/delivery; latency p50 ${r.p50.toFixed(1)} ms, ` +
          `p99 ${r.p99.toFixed(1)} ms`,
      }),
    }),
  ),
  {
    id: 'E',
    title: '1 MiB binary echo, 4 conns',
    unit: 'MB/s',
    load: { ...base, mode: 'echo', connections: 4, payloadBytes: 1024 * 1024 },
    skip: ['socket.io'],
    score: (r, m) => ({ value: r.megabytes / r.seconds, cpuPerUnit: m.cpu / r.megabytes, extra: '' }),
  },
  {
    id: 'F',
    title: 'compressed echo, 16 KB JSON, 20 conns × 2',
    unit: 'messages/s',
    load: { ...base, mode: 'echo', connections: 20, depth: 2, payloadBytes: 16 * 1024, deflate: true, payload: 'json' },
    env: { DEFLATE: '1' },
    score: (r, m) => ({
      value: r.messages / r.seconds,
      cpuPerUnit: m.cpu / r.messages,
      extra: `server RSS ${(m.rssAfter / 1e6).toFixed(0)} MB`,
    }),
  },
  {
    // Our real-time server publishes through its HTTP API (one request per publication, ~0.02 % of the
    // deliveries it causes); ws and Socket.IO broadcast what a publisher connection sends. Our server runs
    // twice: subscribers on the JSON codec, then on MessagePack (the same 64 B JSON data, encoded once per codec).
    id: 'G',
    title: `real-time channel fan-out, ${CHANNEL_SUBSCRIBERS} subscribers, 64 B JSON data`,
    unit: 'deliveries/s',
    load: { ...base, mode: 'channel', connections: CHANNEL_SUBSCRIBERS, depth: 4 },
    env: { MODE: 'fanout' },
    impls: [
      'switchboard-server',
      'switchboard-server-webhooks',
      'switchboard-server-msgpack',
      'switchboard-server-deflate',
      'ws',
      'socket.io',
    ],
    memory: true,
    score: (r, m) => {
      const perConn = (k: keyof Memory) => ((m.memJoined![k] - m.memBefore![k]) / CHANNEL_SUBSCRIBERS).toFixed(0);
      return {
        value: r.deliveries / r.seconds,
        cpuPerUnit: m.cpu / r.deliveries,
        extra:
          `wire ${(r.wireBytes / r.deliveries).toFixed(1)} B/delivery; ${(m.writes / r.deliveries).toFixed(3)} ` +
          `writes/delivery; server CPU ${((100 * m.cpu) / m.wall).toFixed(0)} %; per conn after GC: ` +
          `RSS ${perConn('rss')} B, heap ${perConn('heap')} B; latency p50 ${r.p50.toFixed(1)} ms, ` +
          `p99 ${r.p99.toFixed(1)} ms`,
      };
    },
  },
  {
    // G's load on our server alone, webhooks off then on (every lifecycle event to a receiver in this process).
    id: 'WG',
    title: `G with webhooks off and on (--only=W), fan-out, ${CHANNEL_SUBSCRIBERS} subscribers, 64 B JSON data`,
    unit: 'deliveries/s',
    load: { ...base, mode: 'channel', connections: CHANNEL_SUBSCRIBERS, depth: 4 },
    env: { MODE: 'fanout' },
    impls: ['switchboard-server', 'switchboard-server-webhooks'],
    baseline: 'switchboard-server',
    memory: true,
    score: (r, m) => {
      const perConn = (k: keyof Memory) => ((m.memJoined![k] - m.memBefore![k]) / CHANNEL_SUBSCRIBERS).toFixed(0);
      return {
        value: r.deliveries / r.seconds,
        cpuPerUnit: m.cpu / r.deliveries,
        extra:
          `wire ${(r.wireBytes / r.deliveries).toFixed(1)} B/delivery; ${(m.writes / r.deliveries).toFixed(3)} ` +
          `writes/delivery; server CPU ${((100 * m.cpu) / m.wall).toFixed(0)} %; per conn after GC: ` +
          `RSS ${perConn('rss')} B, heap ${perConn('heap')} B; latency p50 ${r.p50.toFixed(1)} ms, ` +
          `p99 ${r.p99.toFixed(1)} ms`,
      };
    },
  },
  {
    // The same load as G, with the subscribers spread over 3 nodes on the Redis or NATS engine and the
    // publisher on the first: every publication crosses the broker once per node. CPU µs/unit adds up the 3 nodes.
    id: 'H',
    title:
      `cross-node fan-out, ${CHANNEL_SUBSCRIBERS} subscribers over 3 nodes (Redis, NATS) vs 1 memory node, ` +
      `64 B JSON`,
    unit: 'deliveries/s',
    load: { ...base, mode: 'channel', connections: CHANNEL_SUBSCRIBERS, depth: 4 },
    impls: ['switchboard-server', 'switchboard-3-nodes-redis', 'switchboard-3-nodes-nats'],
    baseline: 'switchboard-server',
    score: (r, m) => ({
      value: r.deliveries / r.seconds,
      cpuPerUnit: m.cpu / r.deliveries,
      extra:
        `${(r.publications / r.seconds).toFixed(0)} publications/s; ${(m.writes / r.deliveries).toFixed(3)} ` +
        `writes/delivery; ${
          m.brokerCpu === undefined
            ? ''
            : `${m.broker} ` +
              `CPU ${((100 * m.brokerCpu) / m.wall).toFixed(1)} % (${(m.brokerCpu / r.publications).toFixed(0)} ` +
              `µs/publication); `
        }` +
        `latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
    }),
  },
  {
    // The Pusher protocol on the same server and load as G: pusher-js-like subscribers (connection_established,
    // pusher:subscribe) of one public channel, publications through the signed REST API (POST /apps/{id}/events).
    id: 'P',
    title: `Pusher-protocol fan-out, ${CHANNEL_SUBSCRIBERS} subscribers, 64 B JSON data, vs the native protocol`,
    unit: 'deliveries/s',
    load: { ...base, mode: 'channel', connections: CHANNEL_SUBSCRIBERS, depth: 4 },
    impls: ['switchboard-server', 'switchboard-server-pusher'],
    baseline: 'switchboard-server',
    memory: true,
    score: (r, m) => {
      const perConn = (k: keyof Memory) => ((m.memJoined![k] - m.memBefore![k]) / CHANNEL_SUBSCRIBERS).toFixed(0);
      return {
        value: r.deliveries / r.seconds,
        cpuPerUnit: m.cpu / r.deliveries,
        extra:
          `wire ${(r.wireBytes / r.deliveries).toFixed(1)} B/delivery; ${(m.writes / r.deliveries).toFixed(3)} ` +
          `writes/delivery; per conn after GC: RSS ${perConn('rss')} B, heap ${perConn('heap')} B; ` +
          `latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
      };
    },
  },
  {
    // The cost of joining: upgrade, connect (connection_established), subscribe, its reply; then RST.
    id: 'P2',
    title: 'Pusher-protocol joins (handshake + subscribe), concurrency 50, vs the native protocol',
    unit: 'joins/s',
    load: { ...base, mode: 'handshake', connections: 50 },
    impls: ['switchboard-server', 'switchboard-server-pusher'],
    baseline: 'switchboard-server',
    score: (r, m) => ({ value: r.handshakes / r.seconds, cpuPerUnit: m.cpu / r.handshakes, extra: '' }),
  },
];
const SCENARIOS = ALL_SCENARIOS.filter((s) => !only || only.includes(s.id) || only.includes(s.id[0]));

/** Every process this run started, ended on any exit so that a failed run leaves nothing behind. */
const children = new Set<ChildProcess>();
/** The nodes a cluster launcher started (not our children). */
const nodePids = new Set<number>();
process.on('exit', () => {
  children.forEach((c) => c.kill('SIGKILL'));
  nodePids.forEach(killQuietly);
});

/** SIGKILL by PID; a process that already exited is fine. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
}

/** A started server: its ports (several for a cluster) and the processes whose CPU counts. */
interface Started {
  child: ChildProcess;
  ports: number[];
  pids: number[];
  brokerPid?: number;
  /** The launcher started the broker: end it with the run. */
  brokerOwned?: boolean;
}

async function startServer(impl: Impl, scenario: Scenario): Promise<Started> {
  const probe = scenario.memory
    ? ['--expose-gc', '--import', 'tsx', '--import', here('lib/memory-probe.ts')]
    : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...probe, isAbsolute(impl.file) ? impl.file : here(impl.file)], {
    env: { ...process.env, ...scenario.env, ...impl.env },
    stdio: ['ignore', 'pipe', 'inherit', ...(scenario.memory ? (['ipc'] as const) : [])],
  });
  const started: Started = { child, ports: [], pids: [child.pid!] };
  await new Promise<void>((resolve, reject) => {
    lines(child, (line) => {
      const [key, value] = line.split(' ');
      if (key === 'PIDS') {
        started.pids = value.split(',').map(Number);
        for (const pid of started.pids) nodePids.add(pid);
      }
      if (key === 'BROKER_PID') {
        started.brokerPid = Number(value);
        started.brokerOwned = line.endsWith(' owned');
        if (started.brokerOwned) nodePids.add(started.brokerPid);
      }
      if (key === 'READY') (started.ports = value.split(',').map(Number)), resolve();
    });
    child.once('exit', (code) => reject(new Error(`${impl.name} server exited with ${code}`)));
  });
  return started;
}

/** Asks a server started with the memory probe for its heap and RSS after a full GC. */
function memoryOf(server: ChildProcess): Promise<Memory> {
  const answer = new Promise<Memory>((resolve) => server.once('message', (m) => resolve(m as Memory)));
  server.send('memory');
  return answer;
}

async function runOnce(
  impl: Impl,
  scenario: Scenario,
): Promise<{ value: number; cpuPerUnit: number; genPct: number; extra: string }> {
  const started = await startServer(impl, scenario);
  const { child: server, ports, pids, brokerPid } = started;
  children.add(server);
  const serverCpu = () => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const serverWrites = () => pids.reduce((sum, pid) => sum + writeSyscalls(pid), 0);
  const load: LoadConfig = {
    ...scenario.load,
    port: ports[0],
    ...(ports.length > 1 && { ports }),
    protocol: impl.protocol,
    ...(impl.deflate && { deflate: true }),
  };
  const m: Measured = {
    cpu: 0,
    genCpu: 0,
    writes: 0,
    wall: 0,
    rssBefore: rssBytes(server.pid!),
    rssAfter: 0,
    sockBefore: tcpSocketMemory(),
    sockAfter: 0,
  };
  if (scenario.memory) m.memBefore = await memoryOf(server);
  const gen = spawn(process.execPath, ['--import', 'tsx', here('load-generator.ts'), JSON.stringify(load)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(gen);
  let cpu0 = 0;
  let writes0 = 0;
  let broker0 = 0;
  let gen0 = 0;
  let t0 = 0;
  const result = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${impl.name} ${scenario.id} timed out`)), (SECONDS + 60) * 1000);
    lines(gen, (line) => {
      if (line === 'JOINED') {
        // Every connection is in and idle: let the server settle, read its memory, then let the load start.
        setTimeout(async () => {
          if (scenario.memory) m.memJoined = await memoryOf(server);
          gen.stdin!.write('GO\n');
        }, 1000);
      } else if (line === 'START') {
        cpu0 = serverCpu();
        writes0 = serverWrites();
        if (brokerPid) broker0 = cpuMicros(brokerPid);
        gen0 = cpuMicros(gen.pid!);
        t0 = performance.now();
      } else if (line.startsWith('RESULT ')) {
        m.cpu = serverCpu() - cpu0;
        m.writes = serverWrites() - writes0;
        if (brokerPid) (m.brokerCpu = cpuMicros(brokerPid) - broker0), (m.broker = impl.broker);
        m.genCpu = cpuMicros(gen.pid!) - gen0;
        m.wall = (performance.now() - t0) * 1000;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(7)));
      }
    });
    gen.once('exit', (code) => code && reject(new Error(`${impl.name} ${scenario.id}: generator exited with ${code}`)));
  });
  if (scenario.load.mode === 'idle') await new Promise((r) => setTimeout(r, 1000)); // let the server settle
  m.rssAfter = rssBytes(server.pid!);
  m.sockAfter = tcpSocketMemory();
  // A launcher that started its own broker removes its store on SIGTERM.
  if (started.brokerOwned) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
  for (const child of [gen, server]) {
    child.kill('SIGKILL');
    children.delete(child);
  }
  // A cluster's nodes are the launcher's children: a SIGKILLed launcher cannot end them.
  for (const pid of pids) if (pid !== server.pid) killQuietly(pid);
  if (started.brokerOwned && started.brokerPid) killQuietly(started.brokerPid);
  nodePids.clear();
  await new Promise((r) => setTimeout(r, 300));
  const score = scenario.score(result, m);
  return { ...score, genPct: m.wall > 0 ? (100 * m.genCpu) / m.wall : NaN };
}

const fmt = (n: number) => (Number.isNaN(n) ? '–' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

async function main(): Promise<void> {
  const started = Date.now();
  const rows: string[] = [];
  // The receiver of switchboard-server-webhooks (G, WG): answers 204 at once.
  const sink = await startSink();
  process.env.WEBHOOK_URL = sink.url;
  const header =
    '| scenario | server | median | unit | × base | server CPU µs/unit | generator CPU % | notes |\n' +
    '|---|---|---:|---|---:|---:|---:|---|';
  console.log(
    `bench: ${quick ? 'quick' : 'full'}, ${REPS} interleaved rep(s), ${SECONDS} s per run; ` +
      `servers: ${IMPLS.map((i) => i.name).join(', ')}`,
  );
  if (!uwsAvailable)
    console.log('bench: uWebSockets.js not installed; to include it: npm install --no-save uwebsockets@3.0.6');
  for (const scenario of SCENARIOS) {
    const impls = IMPLS.filter(
      (i) =>
        (scenario.impls ? scenario.impls.includes(i.name.replace(/@base$/, '')) : !i.realtime) &&
        !scenario.skip?.includes(i.name),
    );
    const runs = new Map(impls.map((i) => [i.name, [] as Awaited<ReturnType<typeof runOnce>>[]]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const impl of impls) {
        process.stdout.write(`  ${scenario.id} ${scenario.title}: ${impl.name} run ${rep + 1}/${REPS} … `);
        const r = await runOnce(impl, scenario);
        runs.get(impl.name)!.push(r);
        console.log(`${fmt(r.value)} ${scenario.unit}`);
      }
    }
    const baseValue = median(runs.get(scenario.baseline ?? 'ws')?.map((r) => r.value) ?? []);
    for (const impl of impls) {
      const rs = runs.get(impl.name)!;
      const value = median(rs.map((r) => r.value));
      rows.push(
        `| ${scenario.id} ${scenario.title} | ${impl.name} | ${fmt(value)} | ${scenario.unit} ` +
          `| ${fmt(value / baseValue)} | ${fmt(median(rs.map((r) => r.cpuPerUnit)))} ` +
          `| ${fmt(median(rs.map((r) => r.genPct)))} | ${rs[Math.floor(rs.length / 2)].extra} |`,
      );
    }
  }
  if (!only || only.includes('T')) {
    // T: one channel's fan-out over each transport of the real-time server, side by side (bench/transport-cost.ts).
    const subscribers = quick ? 300 : 1000;
    const t = await measureTransports({
      subscribers,
      rate: 50,
      seconds: quick ? 2 : 4,
      reps: REPS,
      baseline: baselineDir,
    });
    const ws = t.find((r) => r.transport === 'websocket' && r.build === '')!;
    for (const r of t) {
      const base =
        r.build === '' && baselineDir ? t.find((b) => b.transport === r.transport && b.build === '@base') : undefined;
      rows.push(
        `| T per-transport fan-out, ${subscribers} subscribers, 50 publications/s | ${r.transport}${r.build} ` +
          `| ${fmt(r.deliveriesPerSecond)} | deliveries/s | ${fmt(r.cpuPerDelivery / ws.cpuPerDelivery)} ` +
          `(CPU/delivery vs websocket) | ${fmt(r.cpuPerDelivery)} | – | per conn after GC: RSS ${fmt(r.rssPerConn)} ` +
          `B (${fmt(r.rssPerConn / ws.rssPerConn)}× websocket), heap ${fmt(r.heapPerConn)} ` +
          `B${base ? `; CPU/delivery ${fmt(r.cpuPerDelivery / base.cpuPerDelivery)}× @base` : ''} |`,
      );
    }
  }
  if (only?.includes('W')) {
    // W: lifecycle events to a webhook (bench/webhooks.ts); only when named.
    const w = await runScenarioW(SECONDS);
    console.log(w.figures);
    rows.push(w.row);
  }
  if (only?.includes('I')) {
    // I: 100,000 connections on this machine; heavy, so only when named (never in CI or npm test).
    const i = await runScenarioI();
    console.log(i.figures);
    rows.push(i.row);
  }
  const versions = ['ws', 'socket.io', 'typescript'].map(
    (p) => `${p} ${createRequire(import.meta.url)(`${p}/package.json`).version}`,
  );
  if (uwsAvailable) versions.push(`uwebsockets ${createRequire(import.meta.url)('uwebsockets/package.json').version}`);
  const table = [
    `Command: \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` · ${new Date().toISOString()} ` +
      `· ${Math.round((Date.now() - started) / 1000)} s`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}; ${versions.join(', ')}`,
    "× base: the ratio to ws, or to the scenario's own baseline (H: the single memory node).",
    '',
    header,
    ...rows,
  ].join('\n');
  sink.close();
  console.log(`\n${table}`);
  mkdirSync(here('results'), { recursive: true });
  writeFileSync(here(`results/${quick ? 'quick' : 'full'}.md`), table + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
