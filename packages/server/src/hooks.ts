import type { IncomingHttpHeaders } from 'node:http';
import type { LifecycleEvent } from './events/lifecycle-event.js';

/** What `onConnecting` learns about a connection before it is accepted. */
export interface ConnectingContext {
  clientId: string;
  /** From the `connect` command or, with `jwt.cookie` / `jwt.queryParam`, from the handshake. */
  token?: string;
  /** Free-form data from the `connect` command (anonymous clients' connInfo). */
  data?: unknown;
  name?: string;
  version?: string;
  transport: string;
  remoteAddress?: string;
  headers: IncomingHttpHeaders;
}

/** Who the connection is. `channels` are server-side subscriptions made for it at connect. */
export interface ConnectingResult {
  userId: string;
  /** Shared with others in presence and join/leave; keep it small. */
  connInfo?: unknown;
  /** Unix ms after which the credentials must be refreshed (`refresh`). */
  expiresAt?: number;
  channels?: string[];
  /** Checked on every command; absent → the namespace rules alone (see ChannelPermissions). */
  permissions?: ChannelPermissions;
}

/** An accepted connection, as hooks see it. */
export interface SessionContext {
  readonly clientId: string;
  readonly userId: string;
  readonly connInfo?: unknown;
  readonly transportName: string;
  /** The peer's address, as its transport saw it. */
  readonly remoteAddress?: string;
  /** The handshake headers the server keeps for the backend (`proxy.headers`, `proxy.cookies`); none otherwise. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What `onSubscribe` may say about an approved subscription. */
export interface SubscribeAnswer {
  /** Channel info: shared with the channel's others in presence and join/leave, as `chanInfo`. */
  info?: unknown;
  /** Unix ms when access to the channel ends; `onSubscriptionExpired` then decides. */
  expiresAt?: number;
}

/** A renewal: the new expiry (Unix ms; absent: never), or `null` to end it. */
export type Renewal = { expiresAt?: number } | null;

/**
 * The application's say in the server. Every hook may be async; throw a
 * `CommandError` (application codes 400–1999) to refuse with a reply error, or a
 * `DisconnectError` from `onConnecting` to refuse with a disconnect code.
 */
export interface ServerHooks {
  /** Authenticates a `connect`. Without it, a `jwt` option or anonymous clients (`allowAnonymous`) decide. */
  onConnecting?(ctx: ConnectingContext): ConnectingResult | Promise<ConnectingResult>;
  /**
   * Approves a subscription (after the namespace's own rules). Checks the token in `allowSubscribe: 'token'`
   * namespaces; without it, a `jwt` option does.
   */
  onSubscribe?(
    ctx: SessionContext,
    sub: { channel: string; token?: string },
  ): void | SubscribeAnswer | Promise<void | SubscribeAnswer>;
  /** Approves a client publish; may replace the data. Runs only where the namespace allows client publishing. */
  onPublish?(
    ctx: SessionContext,
    pub: { channel: string; data: unknown },
  ): void | { data: unknown } | Promise<void | { data: unknown }>;
  /** RPC handlers by method name; the return value is the reply's `result`. */
  onRpc?: Record<string, (ctx: SessionContext, data: unknown) => unknown>;
  /** Any RPC method without an `onRpc` handler (the `rpc` proxy); without it such a method gets 104. */
  onAnyRpc?(ctx: SessionContext, method: string, data: unknown): unknown;
  /** Receives `send` (fire-and-forget) messages. */
  onMessage?(ctx: SessionContext, data: unknown): void | Promise<void>;
  /** Checks a `refresh` token for this connection; returns the new expiry. Without it, a `jwt` option does. */
  onRefresh?(ctx: SessionContext, token: string): { expiresAt?: number } | Promise<{ expiresAt?: number }>;
  /**
   * The connection's credentials expired (`expiresAt`): renew them from the
   * server's side (the `refresh` proxy). `null` ends the connection (3005); a
   * failure falls back to asking the client to `refresh`. Without it, the client is asked.
   */
  onCredentialsExpired?(ctx: SessionContext): Renewal | Promise<Renewal>;
  /**
   * A subscription's access (`SubscribeAnswer.expiresAt`) ended: a new expiry keeps it; `null` or a failure
   * unsubscribes it with 3006 (the client resubscribes).
   */
  onSubscriptionExpired?(ctx: SessionContext, sub: { channel: string }): Renewal | Promise<Renewal>;
  /** After a connection is gone, for any reason. */
  onDisconnect?(ctx: SessionContext, code: number, reason: string): void;
  /**
   * Every lifecycle event this node stored in the engine, after it was stored: the
   * events webhooks get (docs/webhooks.md), cluster-wide transitions included when
   * this node made them. Setting it produces every type. Must not throw.
   */
  onEvent?(event: LifecycleEvent): void;
}

/**
 * What one connection may do, on top of the namespace rules: for each action a
 * list of channel names (RPC: method names), exact or with a trailing `*` that
 * matches any rest (`chat:*`, `*`). Once a connection has permissions, an action
 * without a list is refused, except that `history` and `presence` follow
 * `subscribe` (what may be read live may be read back).
 */
export interface ChannelPermissions {
  subscribe?: string[];
  publish?: string[];
  history?: string[];
  /** `presence` and `presence_stats`. */
  presence?: string[];
  /** RPC method names. */
  rpc?: string[];
}

export type PermissionAction = keyof ChannelPermissions;
