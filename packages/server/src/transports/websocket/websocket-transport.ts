import type { AcceptedConnection } from '@switchboard/websocket';
import type { Push, Reply } from '@switchboard/wire';
import { encodeMessage, receiveEncoded, type ClientProtocol, type SharedMessage } from '../transport.js';
import { BINARY_FRAMES, ShellTransport, TEXT_FRAMES } from './shell-transport.js';

/**
 * A session's transport over one WebSocket connection (HTTP/1.1 upgrade, or an
 * RFC 8441 stream) in a protocol of `switchboard.v1`: messages are decoded here,
 * by the protocol, and what the session sends is encoded by it.
 */
export class WebSocketTransport extends ShellTransport {
  /** `websocket`, or `websocket-h2` over an HTTP/2 stream (RFC 8441). */
  readonly name: string;

  constructor(
    connection: AcceptedConnection,
    readonly protocol: ClientProtocol,
  ) {
    super(connection);
    this.name = connection.request.version === 'HTTP/2' ? 'websocket-h2' : 'websocket';
  }

  write(message: Reply | Push): void {
    if (this.shell.isOpen) this.shell.send(encodeMessage(this.protocol, message), this.protocol.binary);
  }

  writeShared(message: SharedMessage): void {
    if (!this.shell.isOpen) return;
    this.shell.sendPrepared(message.framed(this.protocol.binary ? BINARY_FRAMES : TEXT_FRAMES));
  }

  close(code: number, reason: string): void {
    if (this.shell.isOpen) this.shell.close(code, reason);
  }

  /** @internal */
  onMessage(data: Buffer): void {
    receiveEncoded(this.protocol, data, this.inbound);
  }
}
