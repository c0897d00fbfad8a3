/**
 * A lifecycle event as the engine stores it. The engine reads only `id` and `key`
 * (the partition); the rest is the server's JSON-serialisable payload.
 */
export interface LogEvent {
  /** Unique, made once by the producer: the same across retries and redeliveries. */
  readonly id: string;
  /** What orders events: events of one key are in one partition (the channel, or the user). */
  readonly key: string;
  readonly [field: string]: unknown;
}

/** An event with its position in its partition (`seq`: opaque, increasing within the partition). */
export interface StoredEvent {
  readonly seq: string;
  readonly event: LogEvent;
}

/** An event a consumer will not get through the log, kept for inspection and replay. */
export interface DeadLetter {
  readonly seq: string;
  readonly event: LogEvent;
  /** `max-age` (delivery gave up), `backlog-cap` (trimmed before it was delivered) or a consumer's own reason. */
  readonly reason: string;
  /** Unix ms when it was dead-lettered. */
  readonly at: number;
}

/** Bounds every EventLog takes. */
export interface EventLogOptions {
  /** Partitions; events of one key share one. @default 16 */
  partitions?: number;
  /** Events kept per partition; beyond it the oldest are trimmed (see EventLog). @default 10000 */
  backlogCap?: number;
  /** Dead letters kept per consumer; beyond it the oldest are discarded. @default 10000 */
  deadLetterCap?: number;
}

export const EVENT_LOG_DEFAULTS = Object.freeze({ partitions: 16, backlogCap: 10_000, deadLetterCap: 10_000 });

/** The partition of `key` among `partitions`: FNV-1a, the same in every engine and node. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/**
 * A durable, partitioned log of lifecycle events, shared by every node, with
 * named consumers (one per webhook) that deliver it.
 *
 * Contract:
 * - `append` resolves once the events are stored where every node reads them
 *   (memory: this process; Redis: a stream; NATS: a JetStream stream). Events of
 *   one partition are read in the order their appends were stored; one node's
 *   appends are stored in call order.
 * - Each (consumer, partition) has a lease held by at most one holder at a time:
 *   `lease` takes it when free or expired, renews it for its holder, and answers
 *   false to anyone else. A holder that stops renewing loses it after `ttlMs`.
 * - Each (consumer, partition) has a cursor: the `seq` of the last event the
 *   consumer is done with, moved only by `commit`, and only by the lease holder
 *   (fencing: a holder that lost its lease cannot move it). A consumer that never
 *   committed starts at the oldest event kept. So a partition is delivered from
 *   its cursor by whoever holds the lease: duplicates only across a lost lease.
 * - Backlog cap: a partition keeps at most `backlogCap` events. Appending beyond it
 *   trims the oldest; each trimmed event that a consumer known to the partition
 *   (one that took a lease on it) had not committed goes to that consumer's dead
 *   letters with reason `backlog-cap`. Memory is bounded; nothing vanishes uncounted.
 * - Events every consumer known to the partition has committed may be dropped (memory: at
 *   once; Redis: trimmed to the oldest cursor), so a delivered backlog costs nothing.
 * - Dead letters are kept per consumer, oldest first, at most `deadLetterCap`.
 * While the backend is unreachable every method fails fast with EngineUnavailableError.
 */
export interface EventLog {
  readonly partitions: number;
  append(events: readonly LogEvent[]): Promise<void>;
  /** Up to `limit` events of `partition` after `after` (undefined: from the oldest kept), in order. */
  read(partition: number, after: string | undefined, limit: number): Promise<StoredEvent[]>;
  lease(consumer: string, partition: number, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once, if `holder` has it. */
  release(consumer: string, partition: number, holder: string): Promise<void>;
  cursor(consumer: string, partition: number): Promise<string | undefined>;
  /** Moves the cursor to `seq` if `holder` holds the lease (true), else changes nothing (false). */
  commit(consumer: string, partition: number, holder: string, seq: string): Promise<boolean>;
  deadLetter(consumer: string, letters: readonly DeadLetter[]): Promise<void>;
  /** The oldest `limit` dead letters of `consumer`. */
  deadLetters(consumer: string, limit: number): Promise<DeadLetter[]>;
  deadLetterCount(consumer: string): Promise<number>;
  /** Removes the oldest `count` dead letters (replayed). */
  dropDeadLetters(consumer: string, count: number): Promise<void>;
}
