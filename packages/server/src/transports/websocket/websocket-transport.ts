import {
  WebSocketServer,
  type AcceptedConnection,
  type CloseInfo,
  type PreparedMessage,
  type ShellListener,
  type SocketShell,
} from '@switchboard/websocket';
import type { Push, Reply } from '@switchboard/wire';
import {
  encodeMessage,
  receiveEncoded,
  UNBOUND,
  type ClientProtocol,
  type FrameCache,
  type SessionInbound,
  type SharedMessage,
  type Transport,
  type TransportInfo,
} from '../transport.js';

/** One frame for every WebSocket subscriber of a shared message: framed and copied once, by the first to write it. */
const frames = (binary: boolean): FrameCache<PreparedMessage> => ({
  frame: (message) => WebSocketServer.prepare(message.bytes, binary, { compress: message.compress }),
});
const TEXT_FRAMES = frames(false);
const BINARY_FRAMES = frames(true);

/**
 * A session's transport over one WebSocket connection (HTTP/1.1 upgrade, or an
 * RFC 8441 stream): the listener of the connection's shell itself, so the
 * connection path is shell → transport → session, with no emitter or closures
 * per connection in between. Messages are decoded here, by the protocol.
 */
export class WebSocketTransport implements Transport, TransportInfo, ShellListener {
  /** `websocket`, or `websocket-h2` over an HTTP/2 stream (RFC 8441). */
  readonly name: string;
  private readonly shell: SocketShell;
  private inbound: SessionInbound = UNBOUND;
  private drained: (() => void) | undefined;

  constructor(
    connection: AcceptedConnection,
    readonly protocol: ClientProtocol,
  ) {
    this.name = connection.request.version === 'HTTP/2' ? 'websocket-h2' : 'websocket';
    this.shell = connection.open(this);
  }

  get info(): TransportInfo {
    return this;
  }

  bind(inbound: SessionInbound): void {
    this.inbound = inbound;
  }

  get remoteAddress(): string | undefined {
    return this.shell.remoteAddress;
  }

  get bufferedAmount(): number {
    return this.shell.bufferedAmount;
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
    receiveEncoded(this.protocol, data, this.inbound);
  }

  /** @internal */
  onPing(): void {}

  /** @internal */
  onPong(): void {
    this.inbound.alive();
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
    this.inbound.closed(info.code, info.reason);
  }
}
