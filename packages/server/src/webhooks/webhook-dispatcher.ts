import { partitionOf, type DeadLetter, type EventLog } from '@switchboard/engine';
import type { LifecycleEvent } from '../events/lifecycle-event.js';
import type { Logger } from '../logger.js';
import { batchId, PartitionDelivery, type DeliveryTiming } from './partition-delivery.js';
import type { ResolvedWebhook } from './webhook-options.js';
import type { WebhookMetrics } from './webhook-metrics.js';
import { WebhookPoster } from './webhook-poster.js';

/** A webhook as `POST /api/webhooks` shows it. */
export interface WebhookView {
  name: string;
  url: string;
  events: string[];
  namespaces?: string[];
  /** Cluster-wide. */
  deadLetters: number;
  /** Partitions this node delivers now (holds the lease of), and its requests in flight. */
  partitionsHeld: number;
  inFlight: number;
}

/** What the HTTP API may do with the webhooks (`webhooks`, `webhook_dead_letters`, `webhook_replay`). */
export interface WebhookAdmin {
  list(): Promise<WebhookView[]>;
  deadLetters(name: string, limit: number): Promise<DeadLetter[]> | undefined;
  replay(name: string, limit: number): Promise<{ replayed: number; remaining: number; error?: string }> | undefined;
}

/**
 * The webhooks of one node: one PartitionDelivery per (webhook, partition), each
 * delivering while this node holds its lease, so that the cluster delivers every
 * partition from one node at a time and partitions never wait for each other.
 */
export class WebhookDispatcher implements WebhookAdmin {
  private readonly deliveries = new Map<string, PartitionDelivery[]>();
  private readonly poster: WebhookPoster;

  constructor(
    private readonly hooks: readonly ResolvedWebhook[],
    private readonly log: EventLog,
    nodeId: string,
    timing: DeliveryTiming,
    metrics: WebhookMetrics,
    logger: Logger,
  ) {
    this.poster = new WebhookPoster(metrics);
    for (const hook of hooks) {
      const list = Array.from(
        { length: log.partitions },
        (_, p) => new PartitionDelivery(hook, p, log, nodeId, this.poster, timing, metrics, logger),
      );
      this.deliveries.set(hook.name, list);
    }
  }

  start(): void {
    for (const list of this.deliveries.values()) for (const d of list) d.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.deliveries.values()].flat().map((d) => d.stop()));
  }

  /** An event was stored: the partition's deliveries here read it now. */
  stored(event: LifecycleEvent): void {
    const p = partitionOf(event.key, this.log.partitions);
    for (const list of this.deliveries.values()) list[p].wake();
  }

  async deadLetterCounts(): Promise<Map<string, number>> {
    return new Map(
      await Promise.all(this.hooks.map(async (h) => [h.name, await this.log.deadLetterCount(h.name)] as const)),
    );
  }

  async list(): Promise<WebhookView[]> {
    const counts = await this.deadLetterCounts();
    return this.hooks.map((h) => {
      const view: WebhookView = {
        name: h.name,
        url: h.url,
        events: [...h.events],
        deadLetters: counts.get(h.name) ?? 0,
        partitionsHeld: this.deliveries.get(h.name)!.filter((d) => d.isHeld).length,
        inFlight: this.poster.active(h),
      };
      if (h.namespaces) view.namespaces = [...h.namespaces];
      return view;
    });
  }

  deadLetters(name: string, limit: number): Promise<DeadLetter[]> | undefined {
    return this.hooks.some((h) => h.name === name) ? this.log.deadLetters(name, limit) : undefined;
  }

  /**
   * Sends up to `limit` of the oldest dead letters again, `maxBatch` per request,
   * and removes each batch once answered 2xx; stops at the first failure. Their
   * order is dead-letter order, outside the partitions' order; ids are unchanged.
   */
  replay(name: string, limit: number): Promise<{ replayed: number; remaining: number; error?: string }> | undefined {
    const hook = this.hooks.find((h) => h.name === name);
    if (!hook) return undefined;
    return (async () => {
      const letters = await this.log.deadLetters(name, limit);
      let replayed = 0;
      let error: string | undefined;
      for (let i = 0; i < letters.length; i += hook.maxBatch) {
        const events = letters.slice(i, i + hook.maxBatch).map((l) => l.event as unknown as LifecycleEvent);
        const sent = await this.poster.post(hook, batchId(events), JSON.stringify({ events }));
        if (!sent.ok) {
          error = sent.error;
          break;
        }
        await this.log.dropDeadLetters(name, events.length);
        replayed += events.length;
      }
      const result: { replayed: number; remaining: number; error?: string } = {
        replayed,
        remaining: await this.log.deadLetterCount(name),
      };
      if (error !== undefined) result.error = error;
      return result;
    })();
  }
}
