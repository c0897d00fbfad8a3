import { WebSocketServer, type AcceptedConnection, type CloseInfo, type PreparedMessage, type ShellListener, type SocketShell } from '@switchboard/websocket';
import type { Codec } from '@switchboard/wire';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

/** Until `bind`: events before a session exists (none are expected) go nowhere. */
const UNBOUND: TransportListener = { onMessage() {}, onAlive() {}, onClose() {} };

/**
 * A session's transport over one WebSocket connection: the listener of the
 * connection's shell itself, so the connection path is shell → transport →
 * session, with no emitter or closures per connection in between.
 */
export class WebSocketTransport implements Transport, ShellListener {
  /** `websocket`, or `websocket-h2` over an HTTP/2 stream (RFC 8441). */
  readonly name: string;
  private readonly shell: SocketShell;
  private listener: TransportListener = UNBOUND;
  private drained: (() => void) | undefined;

  constructor(
    connection: AcceptedConnection,
    readonly codec: Codec,
  ) {
    this.name = connection.request.version === 'HTTP/2' ? 'websocket-h2' : 'websocket';
    this.shell = connection.open(this);
  }

  /** Forwards the connection's messages, keepalive answers and close to the session. */
  bind(listener: TransportListener): void {
    this.listener = listener;
  }

  get remoteAddress(): string | undefined {
    return this.shell.remoteAddress;
  }

  get bufferedAmount(): number {
    return this.shell.bufferedAmount;
  }

  write(bytes: Uint8Array): void {
    if (this.shell.isOpen) this.shell.send(bytes, this.codec.binary);
  }

  writeShared(message: SharedMessage): void {
    if (!this.shell.isOpen) return;
    // One frame for every WebSocket subscriber: framed and copied once, by the first to write it.
    const frame = (message.framed ??= WebSocketServer.prepare(message.bytes, this.codec.binary, { compress: message.compress })) as PreparedMessage;
    this.shell.sendPrepared(frame);
  }

  close(code: number, reason: string): void {
    if (this.shell.isOpen) this.shell.close(code, reason);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
    // After the close frame's flush (next tick): a peer that reads again learns the code.
    setImmediate(() => this.shell.terminate());
  }

  ping(): void {
    if (this.shell.isOpen) this.shell.ping();
  }

  onceDrained(listener: () => void): void {
    const earlier = this.drained;
    this.drained = earlier ? () => (earlier(), listener()) : listener;
    this.shell.requestDrain();
  }

  // --- ShellListener (called by the shell) ---------------------------------------

  /** @internal */
  onMessage(data: Buffer): void {
    this.listener.onMessage(data);
  }

  /** @internal */
  onPing(): void {}

  /** @internal */
  onPong(): void {
    this.listener.onAlive();
  }

  /** @internal */
  onDrain(): void {
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }

  /** @internal Peer and socket errors end in `onClosed`, which the session hears. */
  onError(): void {}

  /** @internal */
  onClosing(): void {}

  /** @internal */
  onClosed(info: CloseInfo): void {
    this.listener.onClose(info.code, info.reason);
  }
}
