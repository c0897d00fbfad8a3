import type { ClientInfo, PublicationPush, StreamPosition } from '@switchboard/wire';
import type { ClientError } from './client-errors.js';

/** A subscription's life; see Subscription. */
export const SubscriptionState = {
  Unsubscribed: 'unsubscribed',
  Subscribing: 'subscribing',
  Subscribed: 'subscribed',
} as const;
export type SubscriptionState = (typeof SubscriptionState)[keyof typeof SubscriptionState];

/** A publication as the app sees it: each offset once, in order. */
export interface Publication extends PublicationPush {
  type: 'publication';
  channel: string;
}

export type SubscriptionEvent =
  /** `error`: why the subscription ended, when the server refused it. */
  | { type: 'state'; state: SubscriptionState; previous: SubscriptionState; error?: ClientError }
  | Publication
  | { type: 'join'; info: ClientInfo }
  | { type: 'leave'; info: ClientInfo }
  /** The server could not replay what was missed; `getSnapshot` (if set) runs next. */
  | { type: 'gap'; from: StreamPosition | undefined; to: StreamPosition | undefined }
  | { type: 'snapshot'; position: StreamPosition; data: unknown }
  | { type: 'error'; error: ClientError };
