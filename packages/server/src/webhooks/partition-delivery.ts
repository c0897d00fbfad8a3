import { createHash } from 'node:crypto';
import type { EventLog, StoredEvent } from '@switchboard/engine';
import type { LifecycleEvent } from '../events/lifecycle-event.js';
import type { Logger } from '../logger.js';
import { namespaceOf } from '../metrics/server-metrics.js';
import type { ResolvedWebhook } from './webhook-options.js';
import type { WebhookMetrics } from './webhook-metrics.js';
import type { WebhookPoster } from './webhook-poster.js';

/** Timing of the partition loops, shared by a node's webhooks. */
export interface DeliveryTiming {
  /** A lease lasts this long unless renewed (at a third of it); a dead holder's partitions move after it. */
  leaseMs: number;
  /** An idle partition is read again this often (events appended on other nodes; this node's wake it at once). */
  pollMs: number;
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(max, base·2^attempt)). */
function fullJitter(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/** `webhook-id` of a batch: the same for the same events (a retry), another for any other batch. */
export function batchId(events: readonly LifecycleEvent[]): string {
  return `msg_${createHash('sha256')
    .update(events.map((e) => e.id).join(','))
    .digest('base64url')
    .slice(0, 27)}`;
}

/** Does the webhook want this event (its types, and its namespaces for channel events)? */
function wants(hook: ResolvedWebhook, event: LifecycleEvent): boolean {
  if (!hook.events.has(event.type)) return false;
  return !hook.namespaces || !('channel' in event) || hook.namespaces.has(namespaceOf(event.channel));
}

/**
 * Delivers one partition of the event log to one webhook, while this node holds
 * its lease: read from the cursor, batch, POST, and commit the cursor only after
 * a 2xx. A failed batch is retried (full jitter) until its oldest event is older
 * than `maxAgeMs`, then dead-lettered; nothing after it in the partition is sent
 * before, so a retry never lets a later event overtake. Events the webhook does
 * not want are passed over (committed with the rest).
 */
export class PartitionDelivery {
  private held = false;
  private renewedAt = 0;
  private cursor: string | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly hook: ResolvedWebhook,
    private readonly partition: number,
    private readonly log: EventLog,
    private readonly holder: string,
    private readonly poster: WebhookPoster,
    private readonly timing: DeliveryTiming,
    private readonly metrics: WebhookMetrics,
    private readonly logger: Logger,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  start(): void {
    this.loop = this.run();
  }

  /** An event was appended to this partition here: read now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
    if (this.held) await this.log.release(this.hook.name, this.partition, this.holder).catch(() => {});
    this.setHeld(false);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!(await this.keepLease())) {
          await this.idle(this.timing.leaseMs / 4);
          continue;
        }
        const batch = await this.log.read(this.partition, this.cursor, this.hook.maxBatch);
        if (batch.length === 0) {
          await this.idle(this.timing.pollMs);
          // Let what arrives together leave together.
          if (this.woken && this.hook.windowMs > 0) await this.idle(this.hook.windowMs, true);
          continue;
        }
        await this.deliver(batch);
      } catch (error) {
        this.logger.warn(
          { err: error, webhook: this.hook.name, partition: this.partition },
          'webhook partition: engine step failed',
        );
        await this.idle(this.timing.pollMs);
      }
    }
  }

  /** Takes or renews the lease when due; false while another node holds it. */
  private async keepLease(): Promise<boolean> {
    const now = Date.now();
    if (this.held && now - this.renewedAt < this.timing.leaseMs / 3) return true;
    const held = await this.log.lease(this.hook.name, this.partition, this.holder, this.timing.leaseMs);
    if (held && !this.held) this.cursor = await this.log.cursor(this.hook.name, this.partition);
    this.renewedAt = now;
    this.setHeld(held);
    return held;
  }

  private async deliver(batch: StoredEvent[]): Promise<void> {
    const events = batch.map((s) => s.event as unknown as LifecycleEvent).filter((e) => wants(this.hook, e));
    if (events.length > 0) {
      const body = JSON.stringify({ events });
      const id = batchId(events);
      for (let attempt = 0; ; attempt++) {
        if (this.stopped || !(await this.keepLease())) return;
        const sent = await this.poster.post(this.hook, id, body);
        if (sent.ok) {
          this.metrics.delivered.inc({ webhook: this.hook.name }, events.length);
          const now = Date.now();
          for (const e of events) this.metrics.latency.observe({ webhook: this.hook.name }, (now - e.time) / 1000);
          break;
        }
        if (Date.now() - events[0].time >= this.hook.maxAgeMs) {
          this.logger.warn(
            { webhook: this.hook.name, partition: this.partition, events: events.length, error: sent.error },
            'webhook: retries ran out, events dead-lettered',
          );
          const at = Date.now();
          const byId = new Map(batch.map((s) => [s.event.id, s.seq]));
          await this.log.deadLetter(
            this.hook.name,
            events.map((e) => ({ seq: byId.get(e.id)!, event: e as never, reason: 'max-age', at })),
          );
          this.metrics.deadLettered.inc({ webhook: this.hook.name, reason: 'max-age' }, events.length);
          break;
        }
        this.metrics.retries.inc({ webhook: this.hook.name });
        if (attempt === 0)
          this.logger.info(
            { webhook: this.hook.name, partition: this.partition, error: sent.error },
            'webhook request failed: retrying',
          );
        if (!(await this.pause(fullJitter(attempt, this.hook.retryBaseMs, this.hook.retryMaxMs)))) return;
      }
    }
    const last = batch.at(-1)!.seq;
    if (await this.log.commit(this.hook.name, this.partition, this.holder, last)) this.cursor = last;
    else this.setHeld(false);
  }

  /** Waits `ms` between retries, renewing the lease meanwhile; false if it was lost or the loop stopped. */
  private async pause(ms: number): Promise<boolean> {
    for (let left = ms; left > 0 && !this.stopped; left -= this.timing.leaseMs / 3) {
      await this.idle(Math.min(left, this.timing.leaseMs / 3), true);
      if (!(await this.keepLease())) return false;
    }
    return !this.stopped;
  }

  /** Waits `ms`, or less when woken (unless `fixed`) or stopped. */
  private idle(ms: number, fixed = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!fixed && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        if (this.stopped || !fixed) {
          this.wakeUp = undefined;
          done();
        }
      };
    });
  }

  private setHeld(held: boolean): void {
    if (held !== this.held) this.metrics.partitionsHeld.inc({ webhook: this.hook.name }, held ? 1 : -1);
    this.held = held;
  }
}
