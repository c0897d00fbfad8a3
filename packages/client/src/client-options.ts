import type { ClientCodec } from '@switchboard/wire';
import type { BackoffOptions } from './backoff.js';
import type { ClientError } from './client-errors.js';
import type { TransportName, WebSocketConstructor } from './transports/client-transport.js';
export type { WebSocketConstructor, WebSocketLike } from './transports/client-transport.js';
import type { EventSourceConstructor } from './transports/sse-transport.js';
import type { Subscription } from './subscription.js';

/** A client's life; see Client. */
export const ClientState = {
  Disconnected: 'disconnected',
  Connecting: 'connecting',
  Connected: 'connected',
  Closed: 'closed',
} as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/** Where `online` / `offline` events come from (a browser's `window`). */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export interface ClientOptions {
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /**
   * The fallback ladder, best first: WebSocket, then the sticky-free HTTP transports
   * (docs/transports.md). A transport that fails before opening hands over at once to
   * the next, until one works; the client then stays on it.
   * @default ['websocket', 'http-stream', 'sse', 'long-poll']
   */
  transports?: readonly TransportName[];
  /** `fetch` for the HTTP transports. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** EventSource for the `sse` transport. @default globalThis.EventSource */
  EventSource?: EventSourceConstructor;
  /**
   * While connected on a fallback, try the top transport this often; when it opens, reconnect on it. 0: never. @default
   * 60000
   */
  upgradeProbeMs?: number;
  token?: string;
  /**
   * Called before every connect and every refresh; wins over `token`. Resolve `null` when the user has no credentials
   * any more (terminal).
   */
  getToken?: () => Promise<string | null>;
  /** Sent with `connect` (anonymous clients' presence info). */
  data?: unknown;
  name?: string;
  backoff?: BackoffOptions;
  /** The backoff starts over once a connection has lasted this long. @default 5000 */
  stableAfterMs?: number;
  /** A command without a reply after this long fails with Timeout (114). @default 10000 */
  timeoutMs?: number;
  /** Commands made while disconnected wait, up to this many; more fail with QueueFull. @default 1000 */
  maxQueue?: number;
  /** Refresh credentials this long before they expire (at most half their lifetime). @default 10000 */
  refreshAheadMs?: number;
  /** `offline` pauses reconnecting, `online` reconnects at once. @default globalThis in browsers, none in Node */
  network?: NetworkEvents | null;
  /**
   * Silence from the server longer than its ping interval plus this means a dead connection: close (3012) and
   * reconnect. @default 10000
   */
  pingGraceMs?: number;
  /**
   * The wire format; its subprotocol is offered. `new MsgpackCodec()` from `@switchboard/client/msgpack` for
   * binary. @default jsonClientCodec (JSON)
   */
  codec?: ClientCodec;
}

export type ClientEvent =
  | { type: 'state'; state: ClientState; previous: ClientState }
  | { type: 'connected'; client: string; user: string; node: string; expiresAt?: number; transport: TransportName }
  | { type: 'disconnected'; code: number; reason: string; willReconnect: boolean; retryInMs?: number }
  | { type: 'message'; data: unknown }
  /**
   * The server subscribed this client to a channel the app had not subscribed to (at connect, or later through the HTTP
   * API's `subscribe`); `subscription` is like any other.
   */
  | { type: 'subscribed'; channel: string; subscription: Subscription }
  /** Something failed that the client retries on its own (a refresh, `getToken`). */
  | { type: 'error'; error: ClientError };
