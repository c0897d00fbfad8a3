// One storm: N SDK clients with one reconnect policy behind the built-in LB, a publisher on channels
// with history, a mass disconnect, and the reconnect wave sampled every 250 ms from the clients and
// from every node's /metrics.
import { exec, fork, type ChildProcess } from 'node:child_process';
import { now } from './clock.js';
import { startLbProxy, type LbNode } from './lb-proxy.js';
import { sampleNode, type NodeSample } from './node-metrics.js';
import { Publisher } from './publisher.js';
import type { StormCounters, StormFromWorker, StormPolicy, StormToWorker } from './storm-protocol.js';

export type StormTrigger = { kind: 'cut' } | { kind: 'drain'; nodes: number[] } | { kind: 'kill'; command: string };

export interface StormOptions {
  /** Node HTTP bases, e.g. http://127.0.0.1:8000 */
  nodes: string[];
  apiKey: string;
  token?: string;
  clients: number;
  clientsPerWorker: number;
  channels: number;
  channelPrefix: string;
  publishRate: number;
  trigger: StormTrigger;
  /** Gives up on the wave after this long. */
  timeoutMs: number;
  onProgress: (line: string) => void;
}

export interface WavePoint {
  /** Seconds since the trigger. */
  t: number;
  connected: number;
  handshakesPerS: number;
  refusedPerS: number;
  attemptsPerS: number;
  failedPerS: number;
  cpuPercent: number;
  lagMs: number;
}

export interface StormResult {
  policy: StormPolicy;
  clients: number;
  disconnected: number;
  reconnectedMs: { p50: number | null; p99: number | null; p100: number | null };
  attempts: number;
  failedAttempts: number;
  refused503: number;
  peakHandshakesPerS: number;
  peakAttemptsPerS: number;
  peakCpuPercent: number;
  peakLagMs: number;
  published: number;
  lost: number;
  duplicates: number;
  wave: WavePoint[];
}

const workerEntry = new URL(`./storm-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function total(list: StormCounters[]): StormCounters {
  const out: StormCounters = {
    connected: 0,
    connects: 0,
    attempts: 0,
    failedAttempts: 0,
    disconnects: 0,
    deliveries: 0,
    duplicates: 0,
    gaps: 0,
    recoveredGaps: 0,
  };
  for (const c of list) if (c) for (const k of Object.keys(out) as (keyof StormCounters)[]) out[k] += c[k];
  return out;
}

function sumNodes(samples: (NodeSample | undefined)[]): NodeSample {
  const s = { ok: 0, refused: 0, cpuSeconds: 0, lagSeconds: 0 };
  for (const n of samples)
    if (n)
      (s.ok += n.ok),
        (s.refused += n.refused),
        (s.cpuSeconds += n.cpuSeconds),
        (s.lagSeconds = Math.max(s.lagSeconds, n.lagSeconds));
  return s;
}

export async function runStorm(policy: StormPolicy, o: StormOptions): Promise<StormResult> {
  const lbNodes: LbNode[] = o.nodes.map((b) => ({ host: new URL(b).hostname, port: Number(new URL(b).port) }));
  const lb = await startLbProxy(lbNodes);
  const workers: ChildProcess[] = [];
  const counters: StormCounters[] = [];
  const results: Extract<StormFromWorker, { type: 'result' }>[] = [];
  const publisher = new Publisher({
    api: o.nodes[0],
    apiKey: o.apiKey,
    channels: o.channels,
    channelPrefix: o.channelPrefix,
    rate: o.publishRate,
    payloadBytes: 64,
  });
  let finishing = false;
  let crash: (error: Error) => void = () => {};
  /** Rejects when a worker dies before the end: the wave cannot be counted. */
  const crashed = new Promise<never>((_, reject) => (crash = reject));
  crashed.catch(() => {});
  try {
    for (let from = 0, w = 0; from < o.clients; from += o.clientsPerWorker, w++) {
      const child = fork(workerEntry, [], {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (m: StormFromWorker) => {
        counters[w] = m.counters;
        if (m.type === 'result') results[w] = m;
      });
      child.on(
        'exit',
        (code, signal) =>
          finishing || code === 0 || crash(new Error(`storm worker ${w} exited early (${code ?? signal})`)),
      );
      const count = Math.min(o.clientsPerWorker, o.clients - from);
      child.send({
        type: 'start',
        plan: {
          url: `ws://127.0.0.1:${lb.port}/connection/websocket`,
          token: o.token,
          policy,
          from,
          count,
          channels: o.channels,
          channelPrefix: o.channelPrefix,
        },
      } satisfies StormToWorker);
      workers.push(child);
    }
    for (const started = now(); total(counters).connected < o.clients; ) {
      if (now() - started > o.timeoutMs)
        throw new Error(`only ${total(counters).connected} of ${o.clients} clients connected within ${o.timeoutMs} ms`);
      o.onProgress(`${policy}: connecting ${total(counters).connected}/${o.clients}`);
      await Promise.race([crashed, sleep(250)]);
    }
    const publishing = publisher.run(Number.POSITIVE_INFINITY, () => {});
    await sleep(1000);
    const base = total(counters);
    let prev = { at: now(), c: base, n: sumNodes(await Promise.all(o.nodes.map(sampleNode))) };
    const first = prev;
    const triggerAt = now();
    if (o.trigger.kind === 'cut') lb.cutAll();
    else if (o.trigger.kind === 'kill') exec(o.trigger.command);
    else
      for (const i of o.trigger.nodes)
        await fetch(`${o.nodes[i]}/api/drain`, {
          method: 'POST',
          headers: { authorization: `apikey ${o.apiKey}` },
          body: '{}',
        });
    const wave: WavePoint[] = [];
    const reconnectsAt: { t: number; reconnects: number; disconnects: number }[] = [];
    for (;;) {
      await Promise.race([crashed, sleep(250)]);
      const at = now();
      const c = total(counters);
      const n = sumNodes(await Promise.all(o.nodes.map(sampleNode)));
      const dt = (at - prev.at) / 1000;
      const t = (at - triggerAt) / 1000;
      wave.push({
        t,
        connected: c.connected,
        handshakesPerS: Math.max(0, n.ok - prev.n.ok) / dt,
        refusedPerS: Math.max(0, n.refused - prev.n.refused) / dt,
        attemptsPerS: (c.attempts - prev.c.attempts) / dt,
        failedPerS: (c.failedAttempts - prev.c.failedAttempts) / dt,
        cpuPercent: (Math.max(0, n.cpuSeconds - prev.n.cpuSeconds) / dt) * 100,
        lagMs: n.lagSeconds * 1000,
      });
      reconnectsAt.push({ t, reconnects: c.connects - base.connects, disconnects: c.disconnects - base.disconnects });
      prev = { at, c, n };
      o.onProgress(
        `${policy}: t+${t.toFixed(1)} s ` +
          `connected ${c.connected}/${o.clients}, ${Math.round(wave.at(-1)!.attemptsPerS)} attempts/s`,
      );
      const settled = c.disconnects > base.disconnects && c.connected === o.clients;
      if (settled || at - triggerAt > o.timeoutMs) break;
    }
    publisher.stop();
    await publishing;
    let check: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve) => {
      check = setInterval(() => results.filter(Boolean).length === workers.length && resolve(), 50);
    });
    for (const w of workers)
      w.send({ type: 'finish', published: publisher.perChannel, waitMs: 10_000 } satisfies StormToWorker);
    await Promise.race([crashed, finished]).finally(() => clearInterval(check));
    finishing = true;
    const end = total(results.map((r) => r.counters));
    const affected = end.disconnects - base.disconnects;
    const milestone = (p: number) => reconnectsAt.find((r) => r.reconnects >= Math.ceil(p * affected))?.t ?? null;
    const ms = (s: number | null) => (s === null ? null : Math.round(s * 1000));
    return {
      policy,
      clients: o.clients,
      disconnected: affected,
      reconnectedMs: { p50: ms(milestone(0.5)), p99: ms(milestone(0.99)), p100: ms(milestone(1)) },
      attempts: end.attempts - base.attempts,
      failedAttempts: end.failedAttempts - base.failedAttempts,
      refused503: prev.n.refused - first.n.refused,
      peakHandshakesPerS: Math.round(Math.max(...wave.map((w) => w.handshakesPerS))),
      peakAttemptsPerS: Math.round(Math.max(...wave.map((w) => w.attemptsPerS))),
      peakCpuPercent: Math.round(Math.max(...wave.map((w) => w.cpuPercent))),
      peakLagMs: Math.round(Math.max(...wave.map((w) => w.lagMs))),
      published: publisher.published,
      lost: results.reduce((a, r) => a + r.lost, 0),
      duplicates: end.duplicates,
      wave,
    };
  } finally {
    publisher.stop();
    for (const w of workers) if (w.exitCode === null) w.kill('SIGTERM');
    await lb.close();
  }
}
