// One storm worker process: SDK clients with one reconnect policy, each subscribed to one channel
// with history, checking that every publication arrives exactly once across the reconnect wave.
import { Client, ClientState, type BackoffOptions } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';
import type { BenchData } from './bench-protocol.js';
import type { StormFromWorker, StormPlan, StormToWorker, StormCounters } from './storm-protocol.js';

/** The policies compared: ours as shipped, and the two naive ones the seed warns about (no jitter at all). */
const POLICIES: Record<StormPlan['policy'], BackoffOptions | undefined> = {
  shipped: undefined,
  fixed: { baseMs: 1000, capMs: 1000, random: () => 0.999 },
  immediate: { baseMs: 1, capMs: 1, random: () => 0 },
};

const send = (m: StormFromWorker) => process.send!(m);
const counters: StormCounters = {
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
const clients: Client[] = [];
let nextSeq: Int32Array;
let plan: StormPlan;

function start(p: StormPlan): void {
  plan = p;
  nextSeq = new Int32Array(p.count);
  for (let i = 0; i < p.count; i++) {
    const client = new Client(p.url, { WebSocket, backoff: POLICIES[p.policy], token: p.token });
    let up = false;
    client.on('state', (e) => {
      if (e.state === ClientState.Connecting) counters.attempts++;
    });
    client.on('connected', () => {
      up = true;
      counters.connected++;
      counters.connects++;
    });
    client.on('disconnected', () => {
      if (up) {
        counters.connected--;
        counters.disconnects++;
      } else counters.failedAttempts++;
      up = false;
    });
    const sub = client.subscribe(`${p.channelPrefix}${(p.from + i) % p.channels}`);
    sub.on('publication', (e) => {
      const d = e.data as BenchData;
      if (d.s < nextSeq[i]) counters.duplicates++;
      else {
        counters.gaps += d.s - nextSeq[i];
        nextSeq[i] = d.s + 1;
        counters.deliveries++;
      }
    });
    sub.on('gap', () => counters.recoveredGaps++);
    client.connect();
    clients.push(client);
  }
}

async function finish(published: number[], waitMs: number): Promise<void> {
  const missing = () => {
    let m = counters.gaps;
    for (let i = 0; i < plan.count; i++) m += published[(plan.from + i) % plan.channels] - nextSeq[i];
    return m;
  };
  for (const deadline = Date.now() + waitMs; missing() > 0 && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 50));
  send({ type: 'result', counters, lost: missing() });
  for (const c of clients) c.disconnect();
  setTimeout(() => process.exit(0), 300);
}

process.on('message', (m: StormToWorker) => {
  if (m.type === 'start') {
    start(m.plan);
    setInterval(() => send({ type: 'progress', counters }), 100);
  } else void finish(m.published, m.waitMs);
});
process.on('disconnect', () => process.exit(0));
