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
export const TEXT_FRAMES = frames(false);
export const BINARY_FRAMES = frames(true);

/**
 * What every transport over one WebSocket connection shares, whatever its client
 * protocol: it is the listener of the connection's shell itself (shell →
 * transport → session, no emitter or closures per connection in between), and
 * it carries keepalive answers, drains and the close to the session. A subclass
 * says how messages are decoded, encoded and closed.
 */
export abstract class ShellTransport implements Transport, TransportInfo, ShellListener {
  abstract readonly name: string;
  abstract readonly protocol: ClientProtocol;
  protected readonly shell: SocketShell;
  protected inbound: SessionInbound = UNBOUND;
  private drained: (() => void) | undefined;

  constructor(connection: AcceptedConnection) {
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

  abstract write(message: Reply | Push): void;
  abstract writeShared(message: SharedMessage): void;
  abstract close(code: number, reason: string): void;

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
  abstract onMessage(data: Buffer, binary: boolean): void;

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
