/**
 * A data message framed once by `WebSocketServer.prepare` (header and payload in
 * one Buffer, unmasked, uncompressed), written as is to any number of server
 * connections with `sendPrepared`.
 */
export interface PreparedMessage {
  readonly bytes: Buffer;
}
