import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelPermissions } from './auth/permissions.js';

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
}

/**
 * The application's say in the server. Every hook may be async; throw a
 * `CommandError` (application codes 400–1999) to refuse with a reply error, or a
 * `DisconnectError` from `onConnecting` to refuse with a disconnect code.
 */
export interface ServerHooks {
  /** Authenticates a `connect`. Without it, a `jwt` option or anonymous clients (`allowAnonymous`) decide. */
  onConnecting?(ctx: ConnectingContext): ConnectingResult | Promise<ConnectingResult>;
  /** Approves a subscription (after the namespace's own rules). Checks the token in `allowSubscribe: 'token'` namespaces; without it, a `jwt` option does. */
  onSubscribe?(ctx: SessionContext, sub: { channel: string; token?: string }): void | Promise<void>;
  /** Approves a client publish; may replace the data. Runs only where the namespace allows client publishing. */
  onPublish?(ctx: SessionContext, pub: { channel: string; data: unknown }): void | { data: unknown } | Promise<void | { data: unknown }>;
  /** RPC handlers by method name; the return value is the reply's `result`. */
  onRpc?: Record<string, (ctx: SessionContext, data: unknown) => unknown>;
  /** Receives `send` (fire-and-forget) messages. */
  onMessage?(ctx: SessionContext, data: unknown): void | Promise<void>;
  /** Checks a `refresh` token for this connection; returns the new expiry. Without it, a `jwt` option does. */
  onRefresh?(ctx: SessionContext, token: string): { expiresAt?: number } | Promise<{ expiresAt?: number }>;
  /** After a connection is gone, for any reason. */
  onDisconnect?(ctx: SessionContext, code: number, reason: string): void;
}
