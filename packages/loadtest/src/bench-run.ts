// The bench orchestrator: spreads connections over worker processes and loopback source addresses,
// publishes through the HTTP API at a rate (or closed loop), and folds the workers' counters into one result.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { now } from './clock.js';
import { BenchAbortedError } from './bench-aborted-error.js';
import { channelName, type FromWorker, type ToWorker, type WorkerCounters, type WorkerPlan } from './bench-protocol.js';
import { LoadOpenError, type LoadTarget } from './load-transport.js';
import { LOAD_TRANSPORTS } from './load-transports.js';
import { cpuMicros } from './proc-stats.js';
import { Publisher } from './publisher.js';
import { LatencyHistogram } from './stats.js';

export interface BenchOptions {
  targets: LoadTarget[];
  /** HTTP API base for publishing, e.g. http://127.0.0.1:8000 */
  api: string;
  apiKey: string;
  transport: string;
  connections: number;
  channels: number;
  channelPrefix: string;
  /** Publications per second over all channels; 0 = closed loop (one publish outstanding per channel). */
  rate: number;
  payloadBytes: number;
  seconds: number;
  workers: number;
  /** Local source addresses, taken in turn (see `loopbackSources`); empty: the kernel picks. */
  addresses: string[];
  concurrency: number;
  /** Server processes whose CPU is read (local targets). */
  serverPids: number[];
  /** Each connection also subscribes to `<personalPrefix><i>` (bench scenario I). */
  personalPrefix?: string;
  /** Runs once every connection is in, before any publish (read memory there). */
  onJoined?: () => Promise<void>;
  /**
   * Publish one publication per channel alone first, then wait this long before the rate phase: `firstLatencyMs` is its
   * fan-out alone.
   */
  firstAloneMs?: number;
  onProgress: (line: ProgressLine) => void;
}

export interface ProgressLine {
  phase: 'connecting' | 'measuring' | 'draining';
  elapsedS: number;
  opened: number;
  failed: number;
  connectsPerS: number;
  deliveriesPerS: number;
  published: number;
}

export interface BenchResult {
  transport: string;
  connections: {
    target: number;
    opened: number;
    failed: number;
    attempts: number;
    workers: number;
    sourceAddresses: string[];
  };
  connect: { seconds: number; perSecond: number; p50Ms: number; p99Ms: number; maxMs: number };
  publish: {
    mode: 'rate' | 'closed-loop';
    published: number;
    perSecond: number;
    failed: number;
    payloadBytes: number;
    channels: number;
  };
  deliveries: { total: number; perSecond: number; expected: number; lost: number; duplicates: number };
  latencyMs: { p50: number; p99: number; max: number; samples: number; withinMs: (ms: number) => number };
  /** The first publication's deliveries (with `firstAloneMs`: published alone). */
  firstLatencyMs: { p50: number; p99: number; max: number; samples: number };
  errors: Record<string, number>;
  closes: Record<string, number>;
  server?: { pids: number[]; cpuSeconds: number; cpuMicrosPerDelivery: number };
  seconds: number;
}

const sum = (
  list: WorkerCounters[],
  key: 'opened' | 'failedOpens' | 'attempts' | 'deliveries' | 'duplicates' | 'gaps',
) => list.reduce((a, c) => a + c[key], 0);
function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const workerEntry = new URL(`./bench-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Retries of a failed open, in the probe and in the workers. */
const OPEN_RETRIES = 3;

const targetUrl = (t: LoadTarget) => `ws://${t.host}:${t.port}${t.path}`;

/**
 * One connection to each target, joined as connection 0 is, then closed: a target that cannot be reached,
 * or a namespace it does not have, fails here in a second rather than after every connection was tried.
 * Failures other than a reply error (deterministic) are retried as the workers retry.
 */
async function probe(o: BenchOptions): Promise<void> {
  const transport = LOAD_TRANSPORTS[o.transport];
  const channels = [channelName(o.channelPrefix, 0), ...(o.personalPrefix ? [`${o.personalPrefix}0`] : [])];
  for (const target of o.targets) {
    for (let attempt = 0; ; attempt++) {
      try {
        (await transport.open(target, channels, { publication: () => {}, closed: () => {} })).close();
        break;
      } catch (error) {
        const e = error instanceof LoadOpenError ? error : new LoadOpenError('error', String(error));
        const reply = /^reply-(\d+)$/.exec(e.code)?.[1];
        // Node's errno messages name the code already: "connect ECONNREFUSED 127.0.0.1:1".
        const reason = reply
          ? `${reply} ${e.message}`
          : e.message.includes(e.code)
            ? e.message
            : `${e.code} (${e.message})`;
        if (reply || attempt >= OPEN_RETRIES)
          throw new BenchAbortedError(
            e.command === 'subscribe' ? 'subscribe' : 'connect',
            e.code,
            reason,
            targetUrl(target),
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

/**
 * Runs a bench: probes the targets, opens every connection, publishes, and checks every delivery.
 * Rejects with `BenchAbortedError` when the probe fails or no connection opens (nothing would be measured),
 * and with an `Error` when a worker process dies.
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  await probe(o);
  const workers: ChildProcess[] = [];
  const counters: WorkerCounters[] = [];
  const inbox: ((m: FromWorker, w: number) => void)[] = [];
  const perWorker = Math.ceil(o.connections / o.workers);
  let finished = false;
  let crash: (error: Error) => void = () => {};
  /** Rejects when a worker dies before the end (an uncaught error, or killed): the run cannot be counted. */
  const crashed = new Promise<never>((_, reject) => (crash = reject));
  crashed.catch(() => {});
  for (let w = 0; w < o.workers; w++) {
    const child = fork(workerEntry, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: FromWorker) => {
      counters[w] = m.counters;
      for (const f of inbox) f(m, w);
    });
    child.on(
      'exit',
      (code, signal) =>
        finished || code === 0 || crash(new Error(`bench worker ${w} exited early (${code ?? signal})`)),
    );
    workers.push(child);
  }
  const tell = (m: ToWorker) => workers.forEach((w) => w.send(m));
  const waitAll = (type: FromWorker['type']) =>
    Promise.race([
      crashed,
      new Promise<FromWorker[]>((resolve) => {
        const got: FromWorker[] = [];
        inbox.push((m, w) => {
          if (m.type !== type) return;
          got[w] = m;
          if (got.filter(Boolean).length === workers.length) resolve(got);
        });
      }),
    ]);
  try {
    const started = now();
    let last = { at: started, opened: 0, deliveries: 0 };
    let phase: ProgressLine['phase'] = 'connecting';
    let published = 0;
    const ticker = setInterval(() => {
      const at = now();
      const opened = sum(counters.filter(Boolean), 'opened');
      const deliveries = sum(counters.filter(Boolean), 'deliveries');
      const dt = (at - last.at) / 1000;
      o.onProgress({
        phase,
        elapsedS: (at - started) / 1000,
        opened,
        failed: sum(counters.filter(Boolean), 'failedOpens'),
        connectsPerS: (opened - last.opened) / dt,
        deliveriesPerS: (deliveries - last.deliveries) / dt,
        published,
      });
      last = { at, opened, deliveries };
    }, 1000);
    const joined = waitAll('joined');
    workers.forEach((w, i) => {
      const plan: WorkerPlan = {
        transport: o.transport,
        targets: o.targets,
        from: i * perWorker,
        to: Math.min(o.connections, (i + 1) * perWorker),
        channels: o.channels,
        channelPrefix: o.channelPrefix,
        addresses: o.addresses,
        concurrency: o.concurrency,
        retries: OPEN_RETRIES,
        personalPrefix: o.personalPrefix,
      };
      w.send({ type: 'start', plan } satisfies ToWorker);
    });
    const joins = (await joined) as Extract<FromWorker, { type: 'joined' }>[];
    const joinedCounters = joins.map((j) => j.counters);
    if (sum(joinedCounters, 'opened') === 0) {
      const [code, n] = Object.entries(mergeCounts(joinedCounters.map((c) => c.errors))).reduce(
        (a, b) => (b[1] > a[1] ? b : a),
        ['error', 0],
      );
      throw new BenchAbortedError(
        'connect',
        code,
        `${code} (${n} of ${sum(joinedCounters, 'attempts')} attempts)`,
        o.targets.length === 1 ? targetUrl(o.targets[0]) : undefined,
      );
    }
    const connectSeconds = (now() - started) / 1000;
    const connect = new LatencyHistogram();
    joins.forEach((j) => connect.merge(j.connect));

    await o.onJoined?.();
    phase = 'measuring';
    tell({ type: 'measure' });
    const cpuBefore = o.serverPids.map(cpuMicros);
    const deliveriesBefore = sum(counters, 'deliveries');
    const pub = new Publisher(o);
    if (o.firstAloneMs !== undefined) {
      await pub.once();
      published = pub.published;
      await new Promise((r) => setTimeout(r, o.firstAloneMs));
    }
    const measureStart = now();
    await pub.run(o.seconds * 1000, (n) => (published = n));
    const publishSeconds = (now() - measureStart) / 1000;
    phase = 'draining';
    const result = waitAll('result');
    tell({ type: 'finish', published: pub.perChannel, waitMs: 5000 });
    const results = (await result) as Extract<FromWorker, { type: 'result' }>[];
    finished = true;
    const seconds = (now() - measureStart) / 1000;
    const cpuSeconds = o.serverPids.reduce((a, pid, k) => a + (cpuMicros(pid) - cpuBefore[k]), 0) / 1e6;
    clearInterval(ticker);
    const final = results.map((r) => r.counters);
    const latency = new LatencyHistogram();
    results.forEach((r) => latency.merge(r.latency));
    const first = new LatencyHistogram();
    results.forEach((r) => first.merge(r.first));
    const opened = sum(final, 'opened');
    const deliveries = sum(final, 'deliveries') - deliveriesBefore;
    let expected = 0;
    for (let i = 0; i < o.connections; i++) expected += pub.perChannel[i % o.channels];
    const lost = results.reduce((a, r) => a + r.missing, 0);
    return {
      transport: o.transport,
      connections: {
        target: o.connections,
        opened,
        failed: sum(final, 'failedOpens'),
        attempts: sum(final, 'attempts'),
        workers: o.workers,
        sourceAddresses: o.addresses.slice(0, o.connections),
      },
      connect: {
        seconds: connectSeconds,
        perSecond: opened / connectSeconds,
        p50Ms: connect.percentile(50),
        p99Ms: connect.percentile(99),
        maxMs: connect.max,
      },
      publish: {
        mode: o.rate > 0 ? 'rate' : 'closed-loop',
        published: pub.published,
        perSecond: pub.published / publishSeconds,
        failed: pub.failed,
        payloadBytes: o.payloadBytes,
        channels: o.channels,
      },
      deliveries: {
        total: deliveries,
        perSecond: deliveries / seconds,
        expected,
        lost,
        duplicates: sum(final, 'duplicates'),
      },
      latencyMs: {
        p50: latency.percentile(50),
        p99: latency.percentile(99),
        max: latency.max,
        samples: latency.count,
        withinMs: (ms) => latency.atMost(ms),
      },
      firstLatencyMs: { p50: first.percentile(50), p99: first.percentile(99), max: first.max, samples: first.count },
      errors: {
        ...mergeCounts(final.map((c) => c.errors)),
        ...(pub.failed ? { [`publish-${pub.lastError}`]: pub.failed } : {}),
      },
      closes: mergeCounts(final.map((c) => c.closes)),
      server: o.serverPids.length
        ? { pids: o.serverPids, cpuSeconds, cpuMicrosPerDelivery: deliveries ? (cpuSeconds * 1e6) / deliveries : NaN }
        : undefined,
      seconds,
    };
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGTERM');
  }
}

/**
 * Connections bound to one source address before another is used. Binding a local address makes the
 * kernel search that address's ephemeral ports for a free one, and the search grows with how many are
 * taken: 0.04 ms of system CPU per connect up to ~6,000 ports on an address, 0.6 ms at 10,000, 1.4 ms at
 * 16,000 (measured here on Linux loopback). Scenario I's 100,000 with 25,000 per address spent 80 % of the
 * generators' CPU there, and their open rate fell to ~100/s.
 */
export const CONNECTIONS_PER_SOURCE = 4000;

/** Loopback source addresses 127.0.0.1, 127.0.0.2, … enough for `connections` at `CONNECTIONS_PER_SOURCE` each. */
export function loopbackSources(connections: number): string[] {
  return Array.from(
    { length: Math.ceil(connections / CONNECTIONS_PER_SOURCE) },
    (_, k) => `127.0.${Math.floor(k / 254)}.${(k % 254) + 1}`,
  );
}

/** How many connections one source address can open to one target at most: the ephemeral port range less a margin. */
export function portsPerAddress(): number {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Math.max(1000, hi - lo + 1 - 2000);
  } catch {
    return 26_000;
  }
}
