// Scenario I (`npm run bench -- --only=I`, never in CI): 100,000 WebSocket connections on this machine.
// `switchboard serve --workers 8 --worker-scheduling rr --engine redis` (each worker < 19,900 sockets),
// `runBench` of `switchboard bench` holding them from 6 generator processes over loopback source
// addresses; each connection subscribes to `bench:u<i>` (its own) and `bench:all0` (shared). Measures
// memory per connection (server RSS, kernel TCP memory), one publication's fan-out alone, then
// 10 publications/s for 10 s (1,000,000 deliveries/s offered). Kills what it starts by PID, deletes its keys.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cpuMicros, loopbackSources, rssBytes, runBench, tcpSocketMemory } from '@switchboard/loadtest';

export const CONNECTIONS = Number(process.env.SCENARIO_I_CONNECTIONS ?? 100_000);
const SERVER_WORKERS = 8;
const GENERATORS = Math.ceil(CONNECTIONS / 18_000);
const ON_TIME_MS = 1000;
/** After the last publish, how long deliveries may still come before the servers are ended. */
const WINDOW_AFTER_MS = 5000;
const KEY = 'bench-scenario-i-key-0123456789';
const BIN = fileURLToPath(new URL('../node_modules/.bin/switchboard', import.meta.url));

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export async function runScenarioI(): Promise<{ row: string; figures: string }> {
  const prefix = `bench-i:${process.pid}:${Date.now()}:`;
  const config = join(tmpdir(), `sb-bench-i-${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      allowAnonymous: true,
      apiKey: KEY,
      namespaces: { bench: {} },
      maxChannelsPerNode: 200_000,
      acceptRate: false,
    }),
  );
  const child = spawn(
    BIN,
    [
      'serve',
      '--port',
      '0',
      '--engine',
      'redis',
      '--workers',
      String(SERVER_WORKERS),
      '--worker-scheduling',
      'rr',
      '--config',
      config,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SWITCHBOARD_REDIS_PREFIX: prefix, SWITCHBOARD_LOG_LEVEL: 'info' },
    },
  );
  const pids = [child.pid!];
  const slots = new Map<number, number>();
  // Interrupted (run.ts exits on SIGINT/SIGTERM), the finally below never runs: end the servers anyway.
  const killAll = () => {
    for (const pid of [...pids.slice(1), pids[0]]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited
      }
    }
  };
  process.on('exit', killAll);
  const t0 = Date.now();
  try {
    const base = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const w = /"worker":(\d+),"pid":(\d+),"nodeId".*"worker listening"/.exec(line);
        if (w) slots.set(Number(w[1]), Number(w[2]));
        const banner = /demo page\s+(http:\/\/\S+)\//.exec(line);
        if (banner) resolve(banner[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    pids.push(...slots.values());
    await new Promise((r) => setTimeout(r, 1000));
    const rss = () => pids.map(rssBytes);
    const idle = rss();
    const sockIdle = tcpSocketMemory();
    let joined: number[] = [];
    let sockJoined = 0;
    const serverCpu = () => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
    let cpuAtMeasure: number | undefined;
    let cpuAtEnd = 0;
    let ending: NodeJS.Timeout | undefined;
    const url = new URL(base);
    const addresses = loopbackSources(CONNECTIONS);
    console.log(
      `  I: serve --workers ${SERVER_WORKERS} (pids ${pids.join(', ')}), ${GENERATORS} ` +
        `generators, ${addresses.length} source addresses (${addresses[0]} to ${addresses.at(-1)}, taken in turn)`,
    );
    const r = await runBench({
      targets: [{ host: url.hostname, port: Number(url.port), path: '/connection/websocket' }],
      api: base,
      apiKey: KEY,
      transport: 'websocket',
      connections: CONNECTIONS,
      channels: 1,
      channelPrefix: 'bench:all',
      personalPrefix: 'bench:u',
      rate: 10,
      payloadBytes: 100,
      seconds: 10,
      workers: GENERATORS,
      addresses,
      concurrency: 100,
      // Server CPU is read here, not by runBench: the servers are ended before the generators report.
      serverPids: [],
      firstAloneMs: 5000,
      onJoined: async () => {
        await new Promise((res) => setTimeout(res, 2000));
        joined = rss();
        sockJoined = tcpSocketMemory();
        console.log(
          `  I: ${CONNECTIONS} joined after ${Math.round((Date.now() - t0) / 1000)} s; ` +
            `server RSS ${mib(joined.reduce((a, b) => a + b, 0))}`,
        );
      },
      onProgress: (p) => {
        if (p.phase === 'measuring' && cpuAtMeasure === undefined) cpuAtMeasure = serverCpu();
        if (p.phase === 'draining' && !ending) {
          // 1M deliveries/s cannot all be read by generators on the same 2 cores: what is still queued when the
          // window closes is late, not lost. End the servers so the generators' sockets close and they report.
          ending = setTimeout(() => {
            cpuAtEnd = serverCpu();
            killAll();
          }, WINDOW_AFTER_MS);
        }
        process.stdout.write(
          `\r  I: ${p.phase} ${p.elapsedS.toFixed(0)} s: ${n(p.opened)} open ` +
            `(${n(p.connectsPerS)}/s), ${n(p.failed)} failed, ${n(p.deliveriesPerS)} deliveries/s, ${p.published} ` +
            `published   `,
        );
      },
    });
    process.stdout.write('\n');
    const opened = r.connections.opened;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const serverPerConn = (sum(joined) - sum(idle)) / opened;
    const perWorker = joined.slice(1).map((b, k) => (b - idle[k + 1]) / (opened / SERVER_WORKERS));
    const kernelPerConn = (sockJoined - sockIdle) / opened;
    const expected = r.deliveries.expected;
    const onTime = r.latencyMs.withinMs(ON_TIME_MS);
    const delivered = r.deliveries.total;
    const cpuSeconds = (cpuAtEnd - (cpuAtMeasure ?? cpuAtEnd)) / 1e6;
    const cpuPerDelivery = (cpuSeconds * 1e6) / Math.max(1, delivered);
    const figures = [
      `I: ${n(opened)}/${n(CONNECTIONS)} connections (${n(r.connections.failed)} failed, ` +
        `errors ${JSON.stringify(r.errors)}), connected in ${r.connect.seconds.toFixed(0)} ` +
        `s (${n(r.connect.perSecond)}/s), each subscribed to bench:u<i> and bench:all0`,
      `   server: ${SERVER_WORKERS} workers + primary; RSS idle ${mib(sum(idle))} → ${mib(sum(joined))} ` +
        `joined: ${n(serverPerConn)} B per connection (per worker, ` +
        `per its connections: ${perWorker.map(n).join(', ')} B); primary ${mib(joined[0])}`,
      `   kernel TCP memory (sockstat, both ends of each loopback connection): ${mib(sockIdle)} ` +
        `→ ${mib(sockJoined)}: ${n(kernelPerConn)} B per connection`,
      `   one publication alone to all: ${n(r.firstLatencyMs.samples)} deliveries, ` +
        `latency p50 ${r.firstLatencyMs.p50.toFixed(0)} ms, p99 ${r.firstLatencyMs.p99.toFixed(0)} ms, ` +
        `max ${r.firstLatencyMs.max.toFixed(0)} ms`,
      `   then 10/s for 10 s (${n(r.publish.published)} published in all, ${n(expected)} deliveries due): ` +
        `delivered ${n(delivered)} (${((100 * delivered) / expected).toFixed(1)} %), on time (≤ ${ON_TIME_MS} ` +
        `ms after publish) ${((100 * onTime) / expected).toFixed(1)} %, not delivered ${WINDOW_AFTER_MS / 1000} ` +
        `s after the last publish ${n(r.deliveries.lost)}, duplicates ${n(r.deliveries.duplicates)}; ` +
        `latency p50 ${r.latencyMs.p50.toFixed(0)} ms, p99 ${r.latencyMs.p99.toFixed(0)} ms, ` +
        `max ${r.latencyMs.max.toFixed(0)} ms; ${n(r.deliveries.perSecond)} deliveries/s; ` +
        `server CPU ${cpuSeconds.toFixed(1)} s (${cpuPerDelivery.toFixed(1)} µs/delivery)`,
      `   total ${Math.round((Date.now() - t0) / 1000)} s`,
    ].join('\n');
    const row =
      `| I ${n(CONNECTIONS)} connections, personal + shared channel, ${SERVER_WORKERS} workers on Redis | ` +
      `switchboard serve --workers | ${n(opened)} | connections | – | ${cpuPerDelivery.toFixed(1)} | ` +
      `– | ${n(serverPerConn)} B server RSS + ${n(kernelPerConn)} B kernel per conn; ` +
      `one publication p99 ${r.firstLatencyMs.p99.toFixed(0)} ms; ` +
      `1M/s offered: ${((100 * onTime) / expected).toFixed(1)} % on time, duplicates ${r.deliveries.duplicates} |`;
    return { row, figures };
  } finally {
    killAll();
    process.off('exit', killAll);
    const redis = new Redis();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
