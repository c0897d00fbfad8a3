import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics read from the node at scrape time (gauges and the send-buffer distribution). */
export interface MetricsSource {
  /** Open connections: their transport, send backlog and subscription count. */
  connections(): Iterable<{ transportName: string; bufferedBytes: number; subscriptionCount: number }>;
  channelCount(): number;
  /** The backend proxy's requests in flight and waiting, when one is configured. */
  proxy?(): { inFlight: number; queued: number; cap: number } | undefined;
}

/** The namespace of a channel name, for labels bounded by configuration. */
export function namespaceOf(channel: string): string {
  const colon = channel.indexOf(':');
  return colon > 0 ? channel.slice(0, colon) : '';
}

/**
 * Connection-centric Prometheus metrics for one node (`GET /metrics`), each in
 * its own registry so several servers can share a process. Every metric is
 * listed in docs/operations.md#metrics.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly handshakes: Counter<'status'>;
  private readonly connectSeconds: Histogram;
  private readonly disconnects: Counter<'code' | 'transport'>;
  private readonly reconnects: Counter;
  private readonly publications: Counter<'namespace'>;
  private readonly recoveries: Counter<'result'>;
  private readonly received: Counter;
  private readonly sent: Counter;
  private readonly slow: Counter<'policy' | 'outcome'>;
  private readonly heartbeatTimeouts: Counter;
  private readonly upstream: Counter<'kind' | 'forwarded' | 'status'>;
  private readonly h2WebSockets: Counter;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Histogram({
      name: 'switchboard_send_buffer_bytes',
      help: 'Bytes waiting to be sent, per open connection, at scrape time',
      buckets: [0, 1024, 16_384, 65_536, 262_144, 1_048_576, 4_194_304],
      registers,
      collect() {
        this.reset();
        for (const c of source.connections()) this.observe(c.bufferedBytes);
      },
    });
    new Gauge({
      name: 'switchboard_connections',
      help: 'Open connections, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        for (const c of source.connections()) this.inc({ transport: c.transportName });
      },
    });
    new Gauge({
      name: 'switchboard_subscriptions',
      help: 'Channel subscriptions held by open connections',
      registers,
      collect() {
        let n = 0;
        for (const c of source.connections()) n += c.subscriptionCount;
        this.set(n);
      },
    });
    new Gauge({
      name: 'switchboard_channels',
      help: 'Channels with subscribers on this node',
      registers,
      collect() {
        this.set(source.channelCount());
      },
    });
    if (source.proxy) {
      const proxy = source.proxy;
      new Gauge({
        name: 'switchboard_proxy_requests',
        help: 'Backend proxy requests at scrape time, by state (in_flight, queued, cap)',
        labelNames: ['state'],
        registers,
        collect() {
          const p = proxy();
          if (!p) return;
          this.set({ state: 'in_flight' }, p.inFlight);
          this.set({ state: 'queued' }, p.queued);
          this.set({ state: 'cap' }, p.cap);
        },
      });
    }
    this.handshakes = new Counter({
      name: 'switchboard_handshakes_total',
      help: 'WebSocket upgrade requests, by the HTTP status answered',
      labelNames: ['status'],
      registers,
    });
    this.connectSeconds = new Histogram({
      name: 'switchboard_connect_seconds',
      help: 'From the WebSocket upgrade to the connect reply (authentication and resubscription included)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.disconnects = new Counter({
      name: 'switchboard_disconnects_total',
      help: 'Closed connections, by close code (1006: no closing handshake) and transport',
      labelNames: ['code', 'transport'],
      registers,
    });
    this.h2WebSockets = new Counter({
      name: 'switchboard_http2_websocket_connects_total',
      help: 'RFC 8441 extended CONNECTs (WebSocket over HTTP/2) received',
      registers,
    });
    this.upstream = new Counter({
      name: 'switchboard_http_upstream_total',
      help:
        'Upstream requests of the sticky-free HTTP transports (kind: emulation, poll), by whether they were ' +
        'forwarded to the owning node and the HTTP status answered',
      labelNames: ['kind', 'forwarded', 'status'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'switchboard_reconnects_total',
      help: 'Connects that the client reported as reconnects',
      registers,
    });
    this.publications = new Counter({
      name: 'switchboard_publications_total',
      help: 'Publications made through this node (fan-in), by namespace',
      labelNames: ['namespace'],
      registers,
    });
    this.recoveries = new Counter({
      name: 'switchboard_recoveries_total',
      help: 'Subscriptions with a position to recover from, by result (recovered, failed)',
      labelNames: ['result'],
      registers,
    });
    this.received = new Counter({
      name: 'switchboard_messages_received_total',
      help: 'Commands received from clients',
      registers,
    });
    this.sent = new Counter({
      name: 'switchboard_messages_sent_total',
      help: 'Messages written to clients (replies, pushes, publication deliveries)',
      registers,
    });
    this.slow = new Counter({
      name: 'switchboard_slow_consumer_events_total',
      help:
        'Slow-consumer policy actions: dropped, coalesced (publications), lagged, resynced, ' +
        'closed (connections or channels)',
      labelNames: ['policy', 'outcome'],
      registers,
    });
    this.heartbeatTimeouts = new Counter({
      name: 'switchboard_heartbeat_timeouts_total',
      help: 'Connections dropped for missing a heartbeat (half-open or frozen peers)',
      registers,
    });
  }

  handshake(status: number): void {
    this.handshakes.inc({ status: String(status) });
  }

  connected(startedAt: number, reconnect: boolean): void {
    this.connectSeconds.observe((performance.now() - startedAt) / 1000);
    if (reconnect) this.reconnects.inc();
  }

  disconnected(code: number, transport: string): void {
    this.disconnects.inc({ code: String(code), transport });
  }

  http2WebSocket(): void {
    this.h2WebSockets.inc();
  }

  upstreamServed(kind: string, forwarded: boolean, status: number): void {
    this.upstream.inc({ kind, forwarded: String(forwarded), status: String(status) });
  }

  published(channel: string): void {
    this.publications.inc({ namespace: namespaceOf(channel) });
  }

  recovery(recovered: boolean): void {
    this.recoveries.inc({ result: recovered ? 'recovered' : 'failed' });
  }

  messagesReceived(n: number): void {
    this.received.inc(n);
  }

  messagesSent(n: number): void {
    this.sent.inc(n);
  }

  slowConsumer(outcome: string, policy: string, count = 1): void {
    this.slow.inc({ policy, outcome }, count);
  }

  heartbeatTimeout(): void {
    this.heartbeatTimeouts.inc();
  }
}
