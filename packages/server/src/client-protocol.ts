import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { ClientProtocol, ProtocolHost } from './transports/transport.js';

export type { ClientProtocol, ProtocolHost };

/**
 * One client protocol's endpoints on the node's port (its WebSocket paths, its
 * HTTP routes), registered once with the server (`SwitchboardServer`'s protocol
 * list). The server routes every upgrade, extended CONNECT and request to the
 * first protocol that takes it; sessions it opens go through `ProtocolHost.open`.
 * A second protocol is one folder under `protocols/` implementing this, and one
 * line in that list.
 */
export interface ProtocolEndpoints {
  /** The protocol family, for logs. */
  readonly name: string;
  /** Takes an HTTP/1.1 upgrade for a path it serves; false: not its path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean;
  /** Takes an RFC 8441 extended CONNECT over HTTP/2 for a path it serves; false: not its path. */
  extendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string): boolean;
  /** Serves an HTTP request it owns; false: not its path. Called once the node runs. */
  request(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Closes its listeners' pending handshakes; sessions are closed by the server. */
  close(): Promise<void>;
}
