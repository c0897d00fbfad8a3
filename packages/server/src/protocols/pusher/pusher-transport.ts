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
  type FrameCache,
  type SessionInbound,
  type SharedMessage,
  type Transport,
  type TransportInfo,
} from '../../transports/transport.js';
import type { PusherCodec } from './pusher-codec.js';
import type { PusherConnection, PusherOutput } from './pusher-connection.js';

/** One text frame for every Pusher subscriber of a shared message (of one app: the codec is the app's). */
const FRAMES: FrameCache<PreparedMessage> = {
  frame: (message) => WebSocketServer.prepare(message.bytes, false, { compress: message.compress }),
};

/**
 * The I/O shell of one Pusher connection: its WebSocket on one side, its
 * session on the other, and its `PusherConnection` (sans-I/O) in between.
 * Shared messages are written as the app's codec encoded them, when the
 * connection says they are for it.
 */
export class PusherTransport implements Transport, TransportInfo, ShellListener {
  /** The `transport` label of metrics and logs. */
  readonly name = 'pusher';
  private readonly shell: SocketShell;
  private inbound: SessionInbound = UNBOUND;
  private drained: (() => void) | undefined;

  constructor(
    connection: AcceptedConnection,
    readonly protocol: PusherCodec,
    private readonly translator: PusherConnection,
    private readonly onGone: () => void,
  ) {
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
    this.apply('push' in message ? this.translator.push(message) : this.translator.reply(message));
  }

  writeShared(message: SharedMessage): void {
    const verdict = this.translator.shared(message.push);
    if (verdict !== true) return this.apply(verdict);
    if (this.shell.isOpen) this.shell.sendPrepared(message.framed(FRAMES));
  }

  /** Tells the client why with `pusher:error`, then closes with the Pusher code (pusher-js reconnects by its range). */
  close(code: number, reason: string): void {
    if (!this.shell.isOpen) return;
    const closing = this.translator.closing(code, reason);
    this.shell.send(Buffer.from(closing.frame), false);
    this.shell.close(closing.code, reason);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
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

  private apply(output: PusherOutput): void {
    if (this.shell.isOpen) for (const frame of output.frames) this.shell.send(Buffer.from(frame), false);
    if (output.commands.length > 0) this.inbound.receive(output.commands);
    if (output.close && this.shell.isOpen) this.shell.close(output.close.code, output.close.reason);
  }

  // --- ShellListener ---------------------------------------------------------------

  /** @internal Any frame shows the client alive (`pusher:ping`, `pusher:pong`, events). */
  onMessage(data: Buffer, binary: boolean): void {
    this.inbound.alive();
    if (binary)
      return this.apply({ commands: [], frames: [], close: { code: 1003, reason: 'Pusher frames are text' } });
    this.apply(this.translator.receive(data.toString('utf8'), performance.now()));
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

  /** @internal Errors end in `onClosed`. */
  onError(): void {}

  /** @internal */
  onClosing(): void {}

  /** @internal */
  onClosed(info: CloseInfo): void {
    this.onGone();
    this.inbound.closed(info.code, info.reason);
  }
}
