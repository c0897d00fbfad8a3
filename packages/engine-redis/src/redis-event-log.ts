import {
  EVENT_LOG_DEFAULTS,
  partitionOf,
  type DeadLetter,
  type EventLog,
  type EventLogOptions,
  type LogEvent,
  type StoredEvent,
} from '@switchboard/engine';
import { scripts } from './lua-script.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShard } from './redis-shard.js';

/**
 * The EventLog on Redis (see EventLog for the contract), on one shard (the control
 * bus's: every node agrees on it): a stream per partition (`XADD` in
 * `event-append.lua`, which keeps the cap and dead-letters what it trims), a
 * cursors hash per partition, a key per lease (`SET PX`, renewed and fenced in
 * Lua) and a list of dead letters per consumer. Stream ids are the `seq`s.
 */
export class RedisEventLog implements EventLog {
  readonly partitions: number;
  private readonly limits: Required<EventLogOptions>;

  constructor(
    private readonly shard: RedisShard,
    private readonly keys: RedisKeys,
    options: EventLogOptions = {},
  ) {
    this.limits = { ...EVENT_LOG_DEFAULTS, ...options };
    this.partitions = this.limits.partitions;
  }

  /** What an append script needs for the partition of `key`: its two keys and the limits. */
  target(key: string): { keys: string[]; args: (string | number)[] } {
    const p = partitionOf(key, this.partitions);
    return {
      keys: [this.keys.events(p), this.keys.eventCursors(p)],
      args: [this.keys.deadLetters, this.limits.backlogCap, this.limits.deadLetterCap],
    };
  }

  async append(events: readonly LogEvent[]): Promise<void> {
    const groups = new Map<number, LogEvent[]>();
    for (const e of events) {
      const p = partitionOf(e.key, this.partitions);
      (groups.get(p) ?? groups.set(p, []).get(p)!).push(e);
    }
    await Promise.all(
      [...groups.values()].map((group) => {
        const { keys, args } = this.target(group[0].key);
        return this.shard.run(scripts.eventAppend, keys, [...args, ...group.map((e) => JSON.stringify(e))]);
      }),
    );
  }

  async read(partition: number, after: string | undefined, limit: number): Promise<StoredEvent[]> {
    const entries = await this.shard.call((r) =>
      r.xrange(this.keys.events(partition), after === undefined ? '-' : `(${after}`, '+', 'COUNT', limit),
    );
    return entries.map(([seq, fields]) => ({ seq, event: JSON.parse(fields[1]) as LogEvent }));
  }

  async lease(consumer: string, partition: number, holder: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.shard.run(
        scripts.eventLease,
        [this.keys.eventLease(consumer, partition), this.keys.eventCursors(partition)],
        [holder, ttlMs, consumer],
      )) === 1
    );
  }

  async release(consumer: string, partition: number, holder: string): Promise<void> {
    await this.shard.run(scripts.eventRelease, [this.keys.eventLease(consumer, partition)], [holder]);
  }

  async cursor(consumer: string, partition: number): Promise<string | undefined> {
    const cursor = await this.shard.call((r) => r.hget(this.keys.eventCursors(partition), consumer));
    return cursor === null || cursor === '0-0' ? undefined : cursor;
  }

  async commit(consumer: string, partition: number, holder: string, seq: string): Promise<boolean> {
    return (
      (await this.shard.run(
        scripts.eventCommit,
        [this.keys.eventLease(consumer, partition), this.keys.eventCursors(partition), this.keys.events(partition)],
        [holder, consumer, seq],
      )) === 1
    );
  }

  async deadLetter(consumer: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const list = this.keys.deadLetters + consumer;
    const encoded = letters.map((l) => JSON.stringify({ ...l, event: JSON.stringify(l.event) }));
    await this.shard.call((r) =>
      r
        .multi()
        .rpush(list, ...encoded)
        .ltrim(list, -this.limits.deadLetterCap, -1)
        .exec(),
    );
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    const raw = await this.shard.call((r) => r.lrange(this.keys.deadLetters + consumer, 0, limit - 1));
    return raw.map((text) => {
      const l = JSON.parse(text) as Omit<DeadLetter, 'event'> & { event: string };
      return { ...l, event: JSON.parse(l.event) as LogEvent };
    });
  }

  deadLetterCount(consumer: string): Promise<number> {
    return this.shard.call((r) => r.llen(this.keys.deadLetters + consumer));
  }

  async dropDeadLetters(consumer: string, count: number): Promise<void> {
    if (count > 0) await this.shard.call((r) => r.ltrim(this.keys.deadLetters + consumer, count, -1));
  }
}
