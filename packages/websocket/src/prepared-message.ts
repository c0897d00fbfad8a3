import type { PreparedFrame } from '@switchboard/protocol';

/**
 * A data message framed once by `WebSocketServer.prepare` (header and payload in
 * one Buffer, unmasked), written as is to any number of server connections with
 * `sendPrepared`. On connections that negotiated permessage-deflate without
 * server context takeover it goes compressed, compressed once for all of them.
 */
export interface PreparedMessage extends PreparedFrame {
  readonly bytes: Buffer;
}
