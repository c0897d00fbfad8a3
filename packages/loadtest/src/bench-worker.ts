// One bench worker process: holds its share of the connections (one process holds at most
// `ulimit -n` descriptors), checks every delivery for order, loss and duplication, and measures
// publish→deliver latency on the machine-wide clock. Driven by the orchestrator over IPC.
import { now } from './clock.js';
import {
  channelName,
  type BenchData,
  type FromWorker,
  type ToWorker,
  type WorkerCounters,
  type WorkerPlan,
} from './bench-protocol.js';
import { LoadOpenError, type LoadConnection, type LoadTransport } from './load-transport.js';
import { LOAD_TRANSPORTS } from './load-transports.js';
import { LatencyHistogram } from './stats.js';

const send = (message: FromWorker) => process.send!(message);
const counters: WorkerCounters = {
  opened: 0,
  failedOpens: 0,
  attempts: 0,
  closed: 0,
  deliveries: 0,
  duplicates: 0,
  gaps: 0,
  errors: {},
  closes: {},
};
const latency = new LatencyHistogram();
const first = new LatencyHistogram();
const connectTime = new LatencyHistogram();
let measuring = false;
let plan: WorkerPlan;
/** Per connection (local index): the next sequence number due on its channel. */
let nextSeq: Int32Array;
const conns: LoadConnection[] = [];

const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

async function openOne(i: number, transport: LoadTransport): Promise<void> {
  const global = plan.from + i;
  const channelIndex = global % plan.channels;
  const target = {
    ...plan.targets[global % plan.targets.length],
    localAddress: plan.addresses.length ? plan.addresses[global % plan.addresses.length] : undefined,
  };
  for (let attempt = 0; ; attempt++) {
    counters.attempts++;
    const started = now();
    try {
      const channels = [
        channelName(plan.channelPrefix, channelIndex),
        ...(plan.personalPrefix ? [`${plan.personalPrefix}${global}`] : []),
      ];
      conns[i] = await transport.open(target, channels, {
        publication: (_channel, data) => {
          const d = data as BenchData;
          const due = nextSeq[i];
          if (d.s < due) counters.duplicates++;
          else {
            if (d.s > due) counters.gaps += d.s - due;
            nextSeq[i] = d.s + 1;
            counters.deliveries++;
            if (measuring) latency.add(now() - d.t);
            if (measuring && d.s === 0) first.add(now() - d.t);
          }
        },
        closed: (code) => {
          counters.closed++;
          bump(counters.closes, String(code));
        },
      });
      connectTime.add(now() - started);
      counters.opened++;
      return;
    } catch (error) {
      bump(counters.errors, error instanceof LoadOpenError ? error.code : 'error');
      if (attempt >= plan.retries) {
        counters.failedOpens++;
        return;
      }
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 750));
    }
  }
}

async function start(p: WorkerPlan): Promise<void> {
  plan = p;
  const transport = LOAD_TRANSPORTS[p.transport];
  const n = p.to - p.from;
  nextSeq = new Int32Array(n);
  const progress = setInterval(() => send({ type: 'progress', counters }), 1000);
  let next = 0;
  const lane = async () => {
    while (next < n) await openOne(next++, transport);
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency, n) }, lane));
  send({ type: 'joined', counters, connect: connectTime.toJSON() });
  progress.refresh();
}

/** After the last publish: waits up to `waitMs` for the deliveries still due, then counts what never came. */
async function finish(published: number[], waitMs: number): Promise<void> {
  measuring = false;
  const due = () => {
    let missing = 0;
    for (let i = 0; i < nextSeq.length; i++)
      if (conns[i]) missing += published[(plan.from + i) % plan.channels] - nextSeq[i];
    return missing;
  };
  for (const deadline = now() + waitMs; due() > 0 && now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  for (const c of conns) c?.close();
  // Exit once the result is written to the IPC channel: under load it can take longer than any fixed delay.
  process.send!(
    {
      type: 'result',
      counters,
      latency: latency.toJSON(),
      first: first.toJSON(),
      connect: connectTime.toJSON(),
      missing: due() + counters.gaps,
    } satisfies FromWorker,
    () => process.exit(0),
  );
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'start') void start(message.plan);
  else if (message.type === 'measure') measuring = true;
  else void finish(message.published, message.waitMs);
});
process.on('disconnect', () => process.exit(0));
