import { randomBytes } from 'node:crypto';

/** Why a subscription ended. */
export type UnsubscribeReason = 'client' | 'server' | 'expired' | 'disconnect' | 'node-gone';

interface EventBase {
  /** Unique and stable: the same across retries and redeliveries (a UUIDv7). */
  readonly id: string;
  /** Unix ms when it happened on its node. */
  readonly time: number;
  /** The node it happened on (for `node-gone` events: the survivor that noticed). */
  readonly node: string;
  /** What orders it: the channel, or the user (the client for anonymous connections). */
  readonly key: string;
}

/**
 * A lifecycle event, protocol-neutral: what happened to connections, subscriptions,
 * channels and presence members, whatever client protocol or transport carried it.
 * The JSON shape is documented in docs/webhooks.md.
 */
export type LifecycleEvent = EventBase &
  (
    | {
        readonly type: 'connect';
        readonly client: string;
        readonly user: string;
        readonly transport: string;
        readonly remoteAddress?: string;
        readonly connInfo?: unknown;
      }
    | {
        readonly type: 'disconnect';
        readonly client: string;
        readonly user: string;
        readonly transport: string;
        readonly code: number;
        readonly reason: string;
        readonly durationMs: number;
      }
    | { readonly type: 'subscribe'; readonly client: string; readonly user: string; readonly channel: string }
    | {
        readonly type: 'unsubscribe';
        readonly client: string;
        readonly user: string;
        readonly channel: string;
        readonly reason: UnsubscribeReason;
      }
    | { readonly type: 'channel_occupied' | 'channel_vacated'; readonly channel: string }
    | { readonly type: 'member_added' | 'member_removed'; readonly channel: string; readonly user: string }
    | {
        readonly type: 'publication';
        readonly client: string;
        readonly user: string;
        readonly channel: string;
        readonly offset: number;
        readonly epoch: string;
        readonly data: unknown;
      }
  );

export type LifecycleEventType = LifecycleEvent['type'];

export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = Object.freeze([
  'connect',
  'disconnect',
  'subscribe',
  'unsubscribe',
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'publication',
]);

/** Every event, without its envelope, as producers describe it. */
export type EventBody = LifecycleEvent extends infer E
  ? E extends LifecycleEvent
    ? Omit<E, keyof EventBase>
    : never
  : never;

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562 §5.7): time-ordered, with a counter in `rand_a` so one node's ids also sort within a millisecond.
 */
export function eventId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else counter = (counter + 1) & 0xfff;
  const b = randomBytes(16);
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
