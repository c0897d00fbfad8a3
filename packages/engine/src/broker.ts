import type { Publication, StreamPosition } from './stream-position.js';

/** Per-channel history settings, from the channel's namespace. */
export interface HistoryOptions {
  /** Publications kept; older ones are trimmed. 0 keeps none (and offsets stay 0). */
  size: number;
  /** How long an idle stream lives; when it expires the stream (and its epoch) is gone. */
  ttlMs: number;
}

export interface PublishOptions {
  history?: HistoryOptions;
  /** Same key within `idempotencyWindowMs` → the first publish's result, and no second delivery. */
  idempotencyKey?: string;
  /** @default 300000 (5 minutes) */
  idempotencyWindowMs?: number;
  publisher?: Publication['publisher'];
}

export interface PublishResult {
  position: StreamPosition;
  /** True when an earlier publish with the same idempotency key answered instead. */
  duplicate: boolean;
}

export interface HistoryQuery {
  /**
   * Return publications after this position. With a foreign epoch, or trimmed publications after it, the result has
   * `gap: true`.
   */
  since?: StreamPosition;
  /** At most this many; -1 means no limit. @default -1 */
  limit?: number;
  /** Newest first. @default false */
  reverse?: boolean;
  /**
   * Create the stream (a new epoch, offset 0) if there is none, with these
   * settings, so the position returned can be resumed from: a subscriber that
   * joins before the first publication must not be told `{0, ""}`, which no
   * later stream could continue.
   */
  ensure?: HistoryOptions;
}

export interface HistoryResult {
  publications: Publication[];
  /** The stream's current top position (the latest offset and the epoch). */
  position: StreamPosition;
  /**
   * True when `since` cannot be continued from: its epoch is not the stream's, or
   * publications after it were trimmed. Recovery must then fail as a whole.
   */
  gap: boolean;
}

/** What a broker delivers to its node. */
export interface BrokerHandler {
  onPublication(publication: Publication): void;
  /**
   * Publications for any channel may have been lost: the engine's link to its
   * broker dropped and is back (subscriptions restored). The node checks each
   * channel's position against history and sends subscribers down the gap path.
   */
  onDeliveryUncertain(): void;
}

/**
 * Pub/sub between nodes plus per-channel history, atomic per channel.
 *
 * Delivery contract:
 * - **Ordering**: publications of one channel reach `onPublication` in offset order.
 * - **Atomicity**: a publication is appended to history and broadcast as one step; a
 *   node never sees a publication that history does not (yet) hold, in offset order.
 * - **At most once** to handlers: pub/sub may lose messages (a broker reconnecting).
 *   History is the source of truth; a node detects loss through offsets and recovers
 *   from `history`. Engines must never deliver a publication twice with one offset.
 * - **Epoch**: created with the stream and changed whenever the stream is lost
 *   (restart, eviction, TTL expiry), so a stale position is never taken for a valid one.
 * - **Trimming**: history keeps the newest `size` publications; a `since` that falls
 *   before the oldest one kept is a gap, never a partial answer.
 * - Handlers are given, never imported: an engine knows nothing of the server.
 */
export interface Broker {
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** Starts delivering the channel's publications to this node's handler. Idempotent. */
  subscribe(channel: string): Promise<void>;
  /** Stops delivering them. Idempotent. */
  unsubscribe(channel: string): Promise<void>;
  history(channel: string, query?: HistoryQuery): Promise<HistoryResult>;
  /** Drops the channel's stream; the next publish starts a new epoch. */
  removeHistory(channel: string): Promise<void>;
  close(): Promise<void>;
}
