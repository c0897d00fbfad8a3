// `node --import tsx bench/worker-scheduling.ts [connections] [reps]`: `serve --workers <cores> --engine redis`
// under each --worker-scheduling (rr, none), interleaved: handshake rate (WebSocket upgrade + `connect`
// reply), server CPU per handshake summed over the primary and every worker, and how the connections
// spread over the workers (from /api/stats). Bounded: a few seconds per run. Kills what it starts by PID.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cpuMicros } from '@switchboard/loadtest';
import { WebSocket } from '@switchboard/websocket';

const CONNECTIONS = Number(process.argv[2] ?? 2000);
const REPS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 64;
const WORKERS = availableParallelism();
const KEY = 'bench-scheduling-key-0123456789';
const BIN = fileURLToPath(new URL('../node_modules/.bin/switchboard', import.meta.url));

interface Run {
  policy: string;
  rate: number;
  cpuUsPerHandshake: number;
  primaryUsPerHandshake: number;
  spread: number[];
}

async function start(policy: string, prefix: string) {
  const child = spawn(
    BIN,
    [
      'serve',
      '--port',
      '0',
      '--engine',
      'redis',
      '--workers',
      String(WORKERS),
      '--worker-scheduling',
      policy,
      '--api-key',
      KEY,
      '--log-level',
      'info',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SWITCHBOARD_REDIS_PREFIX: prefix },
    },
  );
  const pids = [child.pid!];
  const base = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const worker = /"pid":(\d+),"nodeId":"\w+".*"worker listening"/.exec(line);
      if (worker) pids.push(Number(worker[1]));
      const banner = /demo page\s+(http:\/\/\S+)\//.exec(line);
      if (banner) resolve(banner[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, pids, base };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'switchboard.v1.json');
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
    ws.onmessage = () => resolve(ws);
    ws.onerror = () => reject(new Error('handshake failed'));
  });
}

async function runOnce(policy: string): Promise<Run> {
  const prefix = `bench-sched:${process.pid}:${policy}:${Date.now()}:`;
  const { pids, base } = await start(policy, prefix);
  const url = `${base.replace('http', 'ws')}/connection/websocket`;
  const sockets: WebSocket[] = [];
  try {
    await new Promise((r) => setTimeout(r, 500));
    const cpu0 = pids.reduce((n, pid) => n + cpuMicros(pid), 0);
    const primary0 = cpuMicros(pids[0]);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CONNECTIONS) {
          next++;
          sockets.push(await open(url));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = pids.reduce((n, pid) => n + cpuMicros(pid), 0) - cpu0;
    const primaryCpu = cpuMicros(pids[0]) - primary0;
    // `stats` asks every node now (`info` reads the nodes' 5 s announcements).
    const stats = await fetch(`${base}/api/stats`, {
      method: 'POST',
      headers: { authorization: `apikey ${KEY}` },
    }).then((r) => r.json());
    const spread = (stats.nodes as { connectionsByTransport: Record<string, number> }[])
      .map((n) => n.connectionsByTransport.websocket ?? 0)
      .sort((a, b) => a - b);
    return {
      policy,
      rate: CONNECTIONS / seconds,
      cpuUsPerHandshake: cpu / CONNECTIONS,
      primaryUsPerHandshake: primaryCpu / CONNECTIONS,
      spread,
    };
  } finally {
    for (const ws of sockets) ws.close();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

const runs: Run[] = [];
for (let rep = 0; rep < REPS; rep++) {
  for (const policy of ['rr', 'none']) {
    const run = await runOnce(policy);
    runs.push(run);
    console.log(
      `# ${policy.padEnd(4)} rep ${rep + 1}: ${Math.round(run.rate)} ` +
        `handshakes/s, ${Math.round(run.cpuUsPerHandshake)} µs server CPU per handshake ` +
        `(primary ${Math.round(run.primaryUsPerHandshake)}), per worker [${run.spread.join(', ')}]`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `\n| --worker-scheduling | handshakes/s | server CPU µs / handshake (primary + ${WORKERS} workers) | ` +
    `of which the primary | connections per worker (of ${CONNECTIONS}, each run) |`,
);
console.log('|---|---|---|---|---|');
for (const policy of ['rr', 'none']) {
  const mine = runs.filter((r) => r.policy === policy);
  console.log(
    `| ${policy} | ${Math.round(median(mine.map((r) => r.rate)))} ` +
      `| ${Math.round(median(mine.map((r) => r.cpuUsPerHandshake)))} ` +
      `| ${Math.round(median(mine.map((r) => r.primaryUsPerHandshake)))} ` +
      `| ${mine.map((r) => r.spread.join('/')).join(', ')} |`,
  );
}
process.exit(0);
