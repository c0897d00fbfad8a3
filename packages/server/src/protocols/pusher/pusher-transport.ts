import type { AcceptedConnection, CloseInfo } from '@switchboard/websocket';
import type { Push, Reply } from '@switchboard/wire';
import type { SharedMessage } from '../../transports/transport.js';
import { ShellTransport, TEXT_FRAMES } from '../../transports/websocket/shell-transport.js';
import type { PusherCodec } from './pusher-codec.js';
import type { PusherConnection, PusherOutput } from './pusher-connection.js';

/**
 * The I/O shell of one Pusher connection: its WebSocket on one side, its
 * session on the other, and its `PusherConnection` (sans-I/O) in between.
 * Shared messages are written as the app's codec encoded them, when the
 * connection says they are for it.
 */
export class PusherTransport extends ShellTransport {
  /** The `transport` label of metrics and logs. */
  readonly name = 'pusher';

  constructor(
    connection: AcceptedConnection,
    readonly protocol: PusherCodec,
    private readonly translator: PusherConnection,
    private readonly onGone: () => void,
  ) {
    super(connection);
  }

  write(message: Reply | Push): void {
    this.apply('push' in message ? this.translator.push(message) : this.translator.reply(message));
  }

  writeShared(message: SharedMessage): void {
    const verdict = this.translator.shared(message.push);
    if (verdict !== true) return this.apply(verdict);
    if (this.shell.isOpen) this.shell.sendPrepared(message.framed(TEXT_FRAMES));
  }

  /** Tells the client why with `pusher:error`, then closes with the Pusher code (pusher-js reconnects by its range). */
  close(code: number, reason: string): void {
    if (!this.shell.isOpen) return;
    const closing = this.translator.closing(code, reason);
    this.shell.send(Buffer.from(closing.frame), false);
    this.shell.close(closing.code, reason);
  }

  private apply(output: PusherOutput): void {
    if (this.shell.isOpen) for (const frame of output.frames) this.shell.send(Buffer.from(frame), false);
    if (output.commands.length > 0) this.inbound.receive(output.commands);
    if (output.close && this.shell.isOpen) this.shell.close(output.close.code, output.close.reason);
  }

  /** @internal Any frame shows the client alive (`pusher:ping`, `pusher:pong`, events). */
  onMessage(data: Buffer, binary: boolean): void {
    this.inbound.alive();
    if (binary)
      return this.apply({ commands: [], frames: [], close: { code: 1003, reason: 'Pusher frames are text' } });
    this.apply(this.translator.receive(data.toString('utf8'), performance.now()));
  }

  /** @internal */
  override onClosed(info: CloseInfo): void {
    this.onGone();
    super.onClosed(info);
  }
}
