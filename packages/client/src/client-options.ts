import type { ClientCodec, WireMessage } from '@switchboard/wire';
import type { BackoffOptions } from './backoff.js';
import type { ClientError } from './client-errors.js';
import type { Subscription } from './subscription.js';

/** A client's life; see Client. */
export const ClientState = { Disconnected: 'disconnected', Connecting: 'connecting', Connected: 'connected', Closed: 'closed' } as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/** What the client uses of a WebSocket: the WHATWG shape (browsers, `@switchboard/websocket`, `ws`). */
export interface WebSocketLike {
  // `any`: each implementation types its own event objects; the client reads only data, code and reason.
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  /** Set to `'arraybuffer'` before any message, so binary messages arrive as bytes. */
  binaryType?: string;
  send(data: WireMessage): void;
  close(code?: number, reason?: string): void;
}

/** The WebSocket constructor to use: the browser's, `@switchboard/websocket`'s or `ws`'s. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Where `online` / `offline` events come from (a browser's `window`). */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export interface ClientOptions {
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  token?: string;
  /** Called before every connect and every refresh; wins over `token`. Resolve `null` when the user has no credentials any more (terminal). */
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
  /** Silence from the server longer than its ping interval plus this means a dead connection: close (3012) and reconnect. @default 10000 */
  pingGraceMs?: number;
  /** The wire format; its subprotocol is offered. `new MsgpackCodec()` from `@switchboard/client/msgpack` for binary. @default jsonClientCodec (JSON) */
  codec?: ClientCodec;
}

export type ClientEvent =
  | { type: 'state'; state: ClientState; previous: ClientState }
  | { type: 'connected'; client: string; user: string; node: string; expiresAt?: number }
  | { type: 'disconnected'; code: number; reason: string; willReconnect: boolean; retryInMs?: number }
  | { type: 'message'; data: unknown }
  /** The server subscribed this client to a channel the app had not subscribed to (at connect, or later through the HTTP API's `subscribe`); `subscription` is like any other. */
  | { type: 'subscribed'; channel: string; subscription: Subscription }
  /** Something failed that the client retries on its own (a refresh, `getToken`). */
  | { type: 'error'; error: ClientError };
