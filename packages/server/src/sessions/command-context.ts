import type { Publication } from '@switchboard/engine';
import type { ConnectionRequest, Identity } from '../auth/identity.js';
import type { ChannelActor } from '../channels/channel-service.js';
import type { ChannelSubscriber } from '../channels/hub.js';
import type { UnsubscribeReason } from '../events/lifecycle-event.js';
import type { SessionContext } from '../hooks.js';
import type { SessionServices } from './session-services.js';
import type { SessionState } from './session-state.js';
import type { SubscriptionTable } from './subscription-table.js';

/** What command handlers and the subscribe flow see of their session. */
export interface CommandContext extends ChannelActor, ChannelSubscriber {
  readonly services: SessionServices;
  readonly state: SessionState;
  readonly identity: Identity;
  /** The frozen view that hooks receive. */
  readonly context: SessionContext;
  readonly transportName: string;
  /** The sticky-free HTTP transports' session token (connect reply `session`). */
  readonly sessionToken: string | undefined;
  readonly remoteAddress: string | undefined;
  /** performance.now() when the connection opened, for the connect latency metric. */
  readonly openedAt: number;
  /** The opening request, kept until `connect` is handled. */
  readonly request: ConnectionRequest | undefined;
  /** The session's subscriptions by channel; the subscribe flow adds to it. */
  readonly subscriptions: SubscriptionTable;
  /** The user this connection is counted for, once it is (released at close). */
  countedForUser: string | undefined;
  /** Accepts `connect`'s credentials: the session is connected from now on. */
  accept(identity: Identity, wantsPing: boolean): void;
  /** Who this connection is, for its lifecycle events. */
  readonly record: { client: string; user: string; transport: string; since: number };
  /** Accepts the credentials of a `refresh`. */
  reidentify(identity: Identity): void;
  /** Drops a subscription: the hub, presence, and the table. */
  leave(channel: string, reason: UnsubscribeReason): void;
  /** Ends a subscription from the server's side, telling the client why. */
  serverUnsubscribe(channel: string, code: number, reason: string): void;
  /** Writes one publication for this session alone. */
  deliver(publication: Publication): void;
}
