/** @switchboard/websocket: Node shells around the sans-I/O core. */
export {
  WebSocketServer,
  type WebSocketServerOptions,
  type WebSocketServerEvents,
  type ServerDeflateOptions,
} from './websocket-server.js';
export type { AcceptRateOptions } from './accept-limiter.js';
export { AcceptedConnection } from './accepted-connection.js';
export type { PreparedMessage } from './prepared-message.js';
export { ServerWebSocket, ReadyState, type ServerWebSocketEvents, type MessageData } from './server-websocket.js';
export { WebSocket, type WebSocketOptions } from './websocket.js';
export { CloseEvent, ErrorEvent } from './events.js';
export { SocketShell, type CloseInfo, type ShellListener, type SocketShellOptions } from './socket-shell.js';
export { createMaskSource, sha1 } from './node-crypto.js';
export { redactUrl } from './redact-url.js';
export { relaySockets } from './relay-sockets.js';
export { createNodeDeflateCodec, defaultDeflateCodec, type NodeDeflateCodecOptions } from './node-deflate-codec.js';
/** The parsed request head that handshake callbacks (`checkOrigin`, `selectSubprotocol`) receive. */
export type { HttpRequestHead } from '@switchboard/protocol';
