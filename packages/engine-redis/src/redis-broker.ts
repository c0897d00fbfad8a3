import { randomUUID } from 'node:crypto';
import type {
  Broker,
  BrokerHandler,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
} from '@switchboard/engine';
import { scripts } from './lua-script.js';
import { decodeEntry, decodeMessage, encodeBody, parsePosition } from './publication-codec.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShards } from './redis-shards.js';

const DEFAULT_IDEMPOTENCY_WINDOW_MS = 5 * 60_000;

const freshEpoch = () => randomUUID().slice(0, 8);

/**
 * The Broker over Redis. A publish is one Lua script on the channel's shard:
 * offset, stream append (trimmed, with a TTL), idempotency key and PUBLISH
 * happen together, so pub/sub order is offset order. Pub/sub itself is at most
 * once: the node detects loss by offsets (see Hub) and recovers from the stream.
 */
export class RedisBroker implements Broker {
  /** Channels this broker (one node) subscribed to; a closed broker leaves them. */
  private readonly channels = new Set<string>();

  constructor(
    private readonly shards: RedisShards,
    private readonly keys: RedisKeys,
    private readonly handler: BrokerHandler,
  ) {}

  async publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const keyed = options.idempotencyKey !== undefined;
    const window = keyed ? (options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS) : 0;
    const [position, duplicate] = (await this.shards
      .of(channel)
      .run(
        scripts.publish,
        [
          this.keys.meta(channel),
          this.keys.stream(channel),
          this.keys.idempotency(channel, options.idempotencyKey ?? ''),
        ],
        [
          this.keys.publications(channel),
          encodeBody(data, options.publisher),
          options.history?.size ?? 0,
          options.history?.ttlMs ?? 0,
          freshEpoch(),
          window,
        ],
      )) as [string, number];
    return { position: parsePosition(position), duplicate: duplicate === 1 };
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    await this.shards.of(channel).subscriptions.subscribe(this.keys.publications(channel));
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    await this.shards.of(channel).subscriptions.unsubscribe(this.keys.publications(channel));
  }

  async history(channel: string, query: HistoryQuery = {}): Promise<HistoryResult> {
    const [top, epoch, gap, entries] = (await this.shards
      .of(channel)
      .run(
        scripts.history,
        [this.keys.meta(channel), this.keys.stream(channel)],
        [
          query.since?.offset ?? -1,
          query.since?.epoch ?? '',
          query.limit ?? -1,
          query.reverse ? 1 : 0,
          query.ensure ? query.ensure.ttlMs : -1,
          freshEpoch(),
        ],
      )) as [number, string, number, [string, string[]][]];
    return {
      publications: entries.map((entry) => decodeEntry(channel, epoch, entry)),
      position: { offset: top, epoch },
      gap: gap === 1,
    };
  }

  async removeHistory(channel: string): Promise<void> {
    await this.shards.of(channel).run(scripts.remove, [this.keys.meta(channel), this.keys.stream(channel)], []);
  }

  /** A pub/sub message for one of this node's channels. */
  deliver(channel: string, message: string): void {
    if (this.channels.has(channel)) this.handler.onPublication(decodeMessage(channel, message));
  }

  async close(): Promise<void> {
    await Promise.all([...this.channels].map((channel) => this.unsubscribe(channel)));
  }
}
