import type { WireMessage } from '@switchboard/wire';

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

/** The client's transports, best first: the default ladder. */
export const TransportName = {
  WebSocket: 'websocket',
  HttpStream: 'http-stream',
  Sse: 'sse',
  LongPoll: 'long-poll',
} as const;
export type TransportName = (typeof TransportName)[keyof typeof TransportName];

/**
 * How the client reaches a server. Every transport hands back the same
 * WebSocket-shaped connection (`onopen`, `onmessage`, `onclose`, `send`,
 * `close`), so the client's session logic is one for all of them. The HTTP
 * transports fire `onopen` at once; their first `send` (the connect command)
 * opens the downstream, and a server-side end arrives as `onclose` with the
 * server's code.
 */
export interface ClientTransport {
  readonly name: TransportName;
  /** `url` is the WebSocket URL given to the client (ws:// or wss://, ending in `/websocket`). */
  open(url: string, protocol: string): WebSocketLike;
}

/** The HTTP transports' base: `ws://h/connection/websocket` → `http://h/connection`. */
export function httpBaseOf(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  u.pathname = u.pathname.replace(/\/websocket\/?$/, '');
  u.search = '';
  return u.toString().replace(/\/$/, '');
}
