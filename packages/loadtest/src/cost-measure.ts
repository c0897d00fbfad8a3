// Calibrates the cost model against a local serve: memory from its RSS and the kernel's TCP memory,
// CPU from its /proc times, around known amounts of work done by this process.
import { cpus } from 'node:os';
import { now } from './clock.js';
import type { CostModel } from './fleet-model.js';
import type { LoadConnection, LoadTarget } from './load-transport.js';
import { cpuMicros, rssBytes, tcpSocketMemory } from './proc-stats.js';
import { Publisher } from './publisher.js';
import { websocketLoadTransport } from './websocket-load-transport.js';

export interface MeasureOptions {
  target: LoadTarget;
  api: string;
  apiKey: string;
  pid: number;
  /** Connections per step (kept under this process's descriptor limit). */
  connections: number;
  channelPrefix: string;
  /**
   * Also measure JWT handshakes: a fresh token per connection from this signer (no verification-cache hits), one the
   * server accepts.
   */
  signToken?: (subject: string) => Promise<string>;
  onStep: (line: string) => void;
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

async function openAll(
  o: MeasureOptions,
  n: number,
  channels: (i: number) => string[],
  tokens?: string[],
  onPub?: () => void,
): Promise<LoadConnection[]> {
  const out: LoadConnection[] = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out.push(
        await websocketLoadTransport.open({ ...o.target, token: tokens?.[i] }, channels(i), {
          publication: () => onPub?.(),
          closed: () => {},
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 50 }, lane));
  return out;
}

export async function measureCosts(o: MeasureOptions): Promise<CostModel> {
  const n = o.connections;
  const step = async <T>(name: string, work: () => Promise<T>) => {
    const cpu = cpuMicros(o.pid);
    const result = await work();
    const us = cpuMicros(o.pid) - cpu;
    o.onStep(`${name}: ${(us / 1e6).toFixed(2)} s server CPU`);
    return { result, us };
  };
  await settle();
  const rss0 = rssBytes(o.pid);
  const kernel0 = tcpSocketMemory();
  const plain = await step(`${n} plain handshakes`, () => openAll(o, n, () => []));
  await settle();
  const rss1 = rssBytes(o.pid);
  const kernel1 = tcpSocketMemory();
  // 16 subscriptions per connection over n channels: enough bytes to stand out of the RSS noise.
  const SUBS = 16;
  let delivered = 0;
  const subscribed = await openAll(
    o,
    n,
    (i) => Array.from({ length: SUBS }, (_, k) => `${o.channelPrefix}${(i * SUBS + k) % n}`),
    undefined,
    () => delivered++,
  );
  await settle();
  const rss2 = rssBytes(o.pid);
  const connectionBytes = Math.max(0, (rss1 - rss0) / n);
  const subscriptionBytes = Math.max(0, (rss2 - rss1 - connectionBytes * n) / (n * SUBS));
  let jwtUs: number | undefined;
  if (o.signToken) {
    const m = Math.min(n, 1000);
    const tokens = await Promise.all(Array.from({ length: m }, (_, i) => o.signToken!(`measure-${i}`)));
    const jwt = await step(`${m} JWT handshakes`, () => openAll(o, m, () => [], tokens));
    jwtUs = jwt.us / m;
    jwt.result.forEach((c) => c.close());
  }
  const idle = new Publisher({
    api: o.api,
    apiKey: o.apiKey,
    channels: 50,
    channelPrefix: `${o.channelPrefix}nobody-`,
    rate: 0,
    payloadBytes: 64,
  });
  const p = await step('publishes to channels without subscribers', () => idle.run(2000, () => {}));
  const publishCpuUs = p.us / Math.max(1, idle.published);
  const deliveryCpuUs: Record<string, number> = {};
  for (const size of [64, 1024, 16384]) {
    const pub = new Publisher({
      api: o.api,
      apiKey: o.apiKey,
      channels: 50,
      channelPrefix: o.channelPrefix,
      rate: 0,
      payloadBytes: size,
    });
    delivered = 0;
    const started = now();
    const d = await step(`deliveries of ${size} B`, () => pub.run(3000, () => {}));
    await new Promise((r) => setTimeout(r, 300));
    // The publish side's own cost (measured above) is taken off.
    deliveryCpuUs[String(size)] = (d.us - pub.published * publishCpuUs) / Math.max(1, delivered);
    o.onStep(`  ${delivered} deliveries in ${((now() - started) / 1000).toFixed(1)} s`);
  }
  for (const size of Object.keys(deliveryCpuUs)) deliveryCpuUs[size] = Math.max(0.01, deliveryCpuUs[size]);
  plain.result.forEach((c) => c.close());
  subscribed.forEach((c) => c.close());
  return {
    connectionBytes: Math.round(connectionBytes),
    kernelBytes: Math.max(0, Math.round((kernel1 - kernel0) / n)),
    subscriptionBytes: Math.round(subscriptionBytes),
    handshakeCpuUs: { plain: Math.round(plain.us / n), ...(jwtUs !== undefined && { jwt: Math.round(jwtUs) }) },
    deliveryCpuUs: Object.fromEntries(Object.entries(deliveryCpuUs).map(([k, v]) => [k, Number(v.toFixed(2))])),
    publishCpuUs: Number(publishCpuUs.toFixed(1)),
    measuredOn:
      `${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${n} connections`,
  };
}
