import { randomUUID } from 'node:crypto';
import type {
  Broker,
  BrokerHandler,
  HistoryOptions,
  HistoryQuery,
  HistoryResult,
  Publication,
  PublishOptions,
  PublishResult,
  StreamPosition,
} from '@switchboard/engine';

const DEFAULT_IDEMPOTENCY_WINDOW_MS = 5 * 60_000;

/** One channel's stream: the epoch, the top offset and the newest publications. */
interface Stream {
  epoch: string;
  top: number;
  items: Publication[];
  expiresAt: number;
}

/**
 * The state every memory broker "node" in this process shares: streams,
 * subscriptions and idempotency keys. One hub is one cluster.
 */
export class MemoryBrokerHub {
  readonly streams = new Map<string, Stream>();
  readonly subscribers = new Map<string, Set<MemoryBroker>>();
  readonly idempotency = new Map<string, { result: Promise<PublishResult>; expiresAt: number }>();

  /**
   * Drops expired streams and keys; the memory cluster's sweeper (memory-engine.ts) calls it every `sweepIntervalMs`.
   */
  sweep(now = Date.now()): void {
    for (const [channel, stream] of this.streams) if (stream.expiresAt <= now) this.streams.delete(channel);
    for (const [key, entry] of this.idempotency) if (entry.expiresAt <= now) this.idempotency.delete(key);
  }
}

/** A Broker over a MemoryBrokerHub. Delivery is synchronous with the append, so it is atomic and ordered. */
export class MemoryBroker implements Broker {
  private readonly channels = new Set<string>();

  constructor(
    private readonly hub: MemoryBrokerHub,
    private readonly handler: BrokerHandler,
  ) {}

  publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const now = Date.now();
    if (options.idempotencyKey !== undefined) {
      const key = `${channel}\u0000${options.idempotencyKey}`;
      const prior = this.hub.idempotency.get(key);
      if (prior && prior.expiresAt > now) return prior.result.then((r) => ({ ...r, duplicate: true }));
      const result = Promise.resolve(this.append(channel, data, options, now));
      this.hub.idempotency.set(key, {
        result,
        expiresAt: now + (options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS),
      });
      return result;
    }
    return Promise.resolve(this.append(channel, data, options, now));
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    const set = this.hub.subscribers.get(channel) ?? this.hub.subscribers.set(channel, new Set()).get(channel)!;
    set.add(this);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    const set = this.hub.subscribers.get(channel);
    set?.delete(this);
    if (set?.size === 0) this.hub.subscribers.delete(channel);
  }

  async history(channel: string, query: HistoryQuery = {}): Promise<HistoryResult> {
    const now = Date.now();
    const stream =
      this.liveStream(channel, now) ?? (query.ensure ? this.createStream(channel, query.ensure, now) : undefined);
    const position: StreamPosition = stream ? { offset: stream.top, epoch: stream.epoch } : { offset: 0, epoch: '' };
    let items = stream?.items ?? [];
    let gap = false;
    if (query.since) {
      const oldest = items.length > 0 ? items[0].offset : position.offset + 1;
      // Continuable only within the same stream, from a position history still covers.
      gap =
        !stream ||
        query.since.epoch !== stream.epoch ||
        query.since.offset + 1 < oldest ||
        query.since.offset > position.offset;
      items = gap ? [] : items.filter((p) => p.offset > query.since!.offset);
    }
    if (query.reverse) items = [...items].reverse();
    const limit = query.limit ?? -1;
    if (limit >= 0) items = items.slice(0, limit);
    return { publications: items, position, gap };
  }

  async removeHistory(channel: string): Promise<void> {
    this.hub.streams.delete(channel);
  }

  async close(): Promise<void> {
    for (const channel of [...this.channels]) await this.unsubscribe(channel);
  }

  private append(channel: string, data: unknown, options: PublishOptions, now: number): PublishResult {
    const history = options.history;
    let position: StreamPosition = { offset: 0, epoch: '' };
    let publication: Publication = { channel, offset: 0, epoch: '', data, publisher: options.publisher };
    if (history && history.size > 0) {
      const stream = this.liveStream(channel, now) ?? this.createStream(channel, history, now);
      stream.top++;
      stream.expiresAt = now + history.ttlMs;
      position = { offset: stream.top, epoch: stream.epoch };
      publication = { ...publication, ...position };
      stream.items.push(publication);
      if (stream.items.length > history.size) stream.items.splice(0, stream.items.length - history.size);
    }
    for (const node of this.hub.subscribers.get(channel) ?? []) node.handler.onPublication(publication);
    return { position, duplicate: false };
  }

  private createStream(channel: string, history: HistoryOptions, now: number): Stream {
    const stream = { epoch: randomUUID().slice(0, 8), top: 0, items: [], expiresAt: now + history.ttlMs };
    this.hub.streams.set(channel, stream);
    return stream;
  }

  /** The channel's stream if it exists and has not expired; an expired one is gone for good. */
  private liveStream(channel: string, now: number): Stream | undefined {
    const stream = this.hub.streams.get(channel);
    if (stream && stream.expiresAt <= now) {
      this.hub.streams.delete(channel);
      return undefined;
    }
    return stream;
  }
}
