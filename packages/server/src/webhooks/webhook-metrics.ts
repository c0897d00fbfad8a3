import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The `switchboard_webhook_*` and `switchboard_events_*` metrics of one node (docs/webhooks.md#metrics). */
export class WebhookMetrics {
  readonly requests: Counter<'webhook' | 'outcome'>;
  readonly delivered: Counter<'webhook'>;
  readonly deadLettered: Counter<'webhook' | 'reason'>;
  readonly retries: Counter<'webhook'>;
  readonly inFlight: Gauge<'webhook'>;
  readonly partitionsHeld: Gauge<'webhook'>;
  readonly latency: Histogram<'webhook'>;
  readonly emitted: Counter<'type'>;
  readonly appendFailures: Counter<'type'>;

  constructor(registry: Registry, deadLetters: () => Promise<Map<string, number>>) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'switchboard_webhook_requests_total',
      help: 'Webhook requests sent by this node, by outcome (ok: 2xx; failed: other status, timeout, connection error)',
      labelNames: ['webhook', 'outcome'],
      registers,
    });
    this.delivered = new Counter({
      name: 'switchboard_webhook_events_delivered_total',
      help: 'Events a webhook answered 2xx for, sent by this node',
      labelNames: ['webhook'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'switchboard_webhook_events_dead_lettered_total',
      help: 'Events this node dead-lettered after retries ran out (reason max-age)',
      labelNames: ['webhook', 'reason'],
      registers,
    });
    this.retries = new Counter({
      name: 'switchboard_webhook_retries_total',
      help: 'Webhook requests retried by this node',
      labelNames: ['webhook'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'switchboard_webhook_requests_in_flight',
      help: 'Webhook requests in flight from this node',
      labelNames: ['webhook'],
      registers,
    });
    this.partitionsHeld = new Gauge({
      name: 'switchboard_webhook_partitions_held',
      help: 'Event-log partitions this node delivers for a webhook (holds the lease of)',
      labelNames: ['webhook'],
      registers,
    });
    this.latency = new Histogram({
      name: 'switchboard_webhook_delivery_seconds',
      help: 'From an event to the 2xx of the request that carried it',
      labelNames: ['webhook'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300],
      registers,
    });
    this.emitted = new Counter({
      name: 'switchboard_events_emitted_total',
      help: 'Lifecycle events stored in the engine by this node, by type',
      labelNames: ['type'],
      registers,
    });
    this.appendFailures = new Counter({
      name: 'switchboard_events_append_failures_total',
      help: 'Lifecycle events this node could not store (engine unavailable), by type',
      labelNames: ['type'],
      registers,
    });
    new Gauge({
      name: 'switchboard_webhook_dead_letters',
      help: 'Dead letters kept for a webhook (cluster-wide: retries ran out, or the backlog cap trimmed them)',
      labelNames: ['webhook'],
      registers,
      async collect() {
        for (const [webhook, n] of await deadLetters().catch(() => new Map<string, number>())) this.set({ webhook }, n);
      },
    });
  }
}
