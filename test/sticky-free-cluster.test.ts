// Sticky-free: 3 `serve --engine redis` nodes behind round-robin nginx (no affinity), 30 clients on
// each non-WebSocket transport (the SDK's HTTP streaming, SSE emulation on undici's EventSource,
// long-polling; uni SSE), publishing through the API while one node is SIGKILLed.
// Every client must end with every publication once, in order: lost, duplicate and out-of-order
// counts of 0. Also reported: how many upstream POSTs and polls landed on a node that did not own
// the session (and were forwarded over the Redis control bus).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type EventSourceConstructor, TransportName } from '@switchboard/client';
import { EventSource as UndiciEventSource } from 'undici';
import { API_KEY, startNodes, stopNodes, type Node } from './helpers/cluster.js';
import { SseReader } from './helpers/http-transport-peers.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { until } from './helpers/wait.js';

// The SDK's EventSourceLike types its handler's event as `{data}` only; undici's passes a full MessageEvent.
const EventSource = UndiciEventSource as unknown as EventSourceConstructor;
const CLIENTS = 30;
const MESSAGES = 150;
const CHANNEL = `feed:sticky-${process.pid}`;

/** Lost, duplicate and out-of-order counts of one receiver's sequence against 1..n. */
function audit(got: number[], n: number): { lost: number; duplicate: number; outOfOrder: number } {
  const seen = new Set<number>();
  let duplicate = 0;
  let outOfOrder = 0;
  let last = 0;
  for (const v of got) {
    if (seen.has(v)) duplicate++;
    else if (v < last) outOfOrder++;
    seen.add(v);
    last = Math.max(last, v);
  }
  let lost = 0;
  for (let i = 1; i <= n; i++) if (!seen.has(i)) lost++;
  return { lost, duplicate, outOfOrder };
}

/** A uni SSE reader that reconnects (through the LB) with its Last-Event-ID, as EventSource does. */
class ResumingSse {
  readonly got: number[] = [];
  reconnects = 0;
  private reader: SseReader | undefined;
  private stopped = false;
  constructor(private readonly url: string) {
    void this.run();
  }
  private async run(): Promise<void> {
    let lastId: string | undefined;
    let consumed = 0;
    while (!this.stopped) {
      try {
        this.reader = await SseReader.open(this.url, { headers: lastId ? { 'last-event-id': lastId } : {} });
        consumed = 0;
        while (!this.stopped && !this.reader.ended) {
          const events = this.reader.events;
          for (; consumed < events.length; consumed++) {
            const e = events[consumed];
            if (e.event === 'message') this.got.push((JSON.parse(e.data) as { pub: { data: number } }).pub.data);
            if (e.event === 'resync') throw new Error('resync: history could not fill the gap');
            if (e.id) lastId = e.id;
          }
          await sleep(20);
        }
      } catch (error) {
        if ((error as Error).message.startsWith('resync')) throw error;
      }
      if (this.stopped) return;
      this.reconnects++;
      await sleep(100 + Math.random() * 200);
    }
  }
  stop(): void {
    this.stopped = true;
    this.reader?.close();
  }
}

describe('sticky-free transports behind round-robin nginx, a node SIGKILLed', { timeout: 120_000 }, () => {
  let nodes: Node[];
  let lb: Nginx;
  before(async () => {
    nodes = await startNodes(3, 'redis://127.0.0.1:6379', {
      pingIntervalMs: 5000,
      pongTimeoutMs: 2500,
      forwardTimeoutMs: 2000,
    });
    lb = await startNginx(`
      upstream switchboard \
{ ${nodes.map((n) => `server ${new URL(n.base).host} max_fails=1 fail_timeout=30s;`).join(' ')} }
      server {
        listen 127.0.0.1:{{PORT}};
        location / {
          proxy_pass http://switchboard;
          proxy_http_version 1.1;
          proxy_set_header Connection "";
          proxy_buffering off;
          proxy_read_timeout 60s;
          proxy_next_upstream error timeout http_502;
        }
      }`);
    await sleep(300); // node announcements on the bus
  });
  after(async () => {
    await lb?.stop();
    await stopNodes(nodes ?? []);
  });

  const metric = async (base: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^switchboard_http_upstream_total\{kind="(\w+)",forwarded="(\w+)",status="(\d+)"\} (\d+)/.exec(line);
      if (m) out[`${m[1]} forwarded=${m[2]} ${m[3]}`] = (out[`${m[1]} forwarded=${m[2]} ${m[3]}`] ?? 0) + Number(m[4]);
    }
    return out;
  };

  it('every client gets every publication once, in order, on every non-WebSocket transport', async () => {
    const wsUrl = `${lb.base.replace('http', 'ws')}/connection/websocket`;
    const sdk = (transport: TransportName) =>
      Array.from({ length: CLIENTS }, () => {
        const client = new Client(wsUrl, {
          transports: [transport],
          EventSource,
          backoff: { baseMs: 100, capMs: 500 },
          upgradeProbeMs: 0,
        });
        const got: number[] = [];
        client.subscribe(CHANNEL).on('publication', (p) => got.push(p.data as number));
        client.connect();
        return { client, got };
      });
    const streams = sdk(TransportName.HttpStream);
    const emulated = sdk(TransportName.Sse);
    const polls = sdk(TransportName.LongPoll);
    const sse = Array.from({ length: CLIENTS }, () => new ResumingSse(`${lb.base}/connection/sse?channel=${CHANNEL}`));
    await until(
      () => [...streams, ...emulated, ...polls].every((c) => c.client.getSubscription(CHANNEL)?.state === 'subscribed'),
      'all subscribed',
      20_000,
    );
    await sleep(300);

    let publishRetries = 0;
    const victim = nodes[1];
    let victimMetrics: Record<string, number> = {};
    for (let i = 1; i <= MESSAGES; i++) {
      if (i === MESSAGES / 2) {
        victimMetrics = await metric(victim.base);
        victim.child.kill('SIGKILL');
      }
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${lb.base}/api/publish`, {
          method: 'POST',
          headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: CHANNEL, data: i, idempotencyKey: `p-${i}` }),
        }).catch(() => undefined);
        if (res?.status === 200) break;
        publishRetries++;
        assert.ok(attempt < 20, `publish ${i} kept failing (${res?.status})`);
        await sleep(100);
      }
      await sleep(10);
    }
    const receivers = [
      ...streams.map((c) => ['http-stream', c.got] as const),
      ...emulated.map((c) => ['sse-emulation', c.got] as const),
      ...polls.map((c) => ['long-poll', c.got] as const),
      ...sse.map((c) => ['sse (uni)', c.got] as const),
    ];
    await until(
      () => receivers.every(([, got]) => new Set(got).size >= MESSAGES),
      'everyone has everything',
      30_000,
    ).catch(() => {});
    await sleep(300);
    const totals: Record<string, { lost: number; duplicate: number; outOfOrder: number; receivers: number }> = {};
    for (const [kind, got] of receivers) {
      const a = audit(got, MESSAGES);
      const t = (totals[kind] ??= { lost: 0, duplicate: 0, outOfOrder: 0, receivers: 0 });
      t.lost += a.lost;
      t.duplicate += a.duplicate;
      t.outOfOrder += a.outOfOrder;
      t.receivers++;
    }
    const upstream: Record<string, number> = { ...victimMetrics };
    for (const n of [nodes[0], nodes[2]])
      for (const [k, v] of Object.entries(await metric(n.base))) upstream[k] = (upstream[k] ?? 0) + v;
    console.log(
      JSON.stringify(
        {
          messages: MESSAGES,
          publishRetries,
          sseReconnects: sse.reduce((s, c) => s + c.reconnects, 0),
          totals,
          upstream,
        },
        null,
        1,
      ),
    );
    for (const c of [...streams, ...emulated, ...polls]) c.client.disconnect();
    for (const c of sse) c.stop();
    for (const [kind, t] of Object.entries(totals))
      assert.deepEqual(
        { lost: t.lost, duplicate: t.duplicate, outOfOrder: t.outOfOrder },
        { lost: 0, duplicate: 0, outOfOrder: 0 },
        kind,
      );
    const forwarded = Object.entries(upstream)
      .filter(([k]) => k.includes('forwarded=true'))
      .reduce((s, [, v]) => s + v, 0);
    assert.ok(forwarded > 0, 'round robin sent upstream requests to non-owners');
  });
});
