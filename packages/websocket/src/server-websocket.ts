import { EventEmitter } from 'node:events';
import { ConnectionState } from '@switchboard/protocol';
import type { AcceptedConnection } from './accepted-connection.js';
import { toBytes } from './buffers.js';
import type { PreparedMessage } from './prepared-message.js';
import type { CloseInfo, ShellListener, SocketShell } from './socket-shell.js';

export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

export interface ServerWebSocketEvents {
  /** A complete message; text arrives as its UTF-8 bytes (already validated). */
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /**
   * The send backlog was handed to the transport after it had filled the transport's buffer: `bufferedAmount` is low
   * again.
   */
  drain: [];
  /** Always the last event. `wasClean` is true when the closing handshake completed. */
  close: [code: number, reason: string, wasClean: boolean];
  /**
   * Informational (peer protocol errors, socket errors); emitted only when someone listens, and always followed by
   * 'close'.
   */
  error: [error: Error];
}

export type MessageData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** One accepted connection on a WebSocketServer. */
export class ServerWebSocket extends EventEmitter<ServerWebSocketEvents> implements ShellListener {
  readonly protocol: string;
  readonly extensions: string;
  readyState: ReadyState = ReadyState.OPEN;
  private readonly shell: SocketShell;
  /** The server's set of open connections, left on close. Kept instead of a per-connection closure. */
  private readonly registry: Set<ServerWebSocket> | undefined;

  constructor(connection: AcceptedConnection, registry?: Set<ServerWebSocket>) {
    super();
    this.protocol = connection.protocol;
    this.extensions = connection.extensions;
    this.registry = registry;
    registry?.add(this);
    this.shell = connection.open(this);
  }

  /** The peer's address, read when asked (the request head is not kept: take what you need in 'connection'). */
  get remoteAddress(): string | undefined {
    return this.shell.remoteAddress;
  }

  /** Bytes queued but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.shell.bufferedAmount;
  }

  /**
   * Queues a message. Strings go as text unless `binary` is set; bytes go as
   * binary unless `binary: false`. Throws once the closing handshake has started.
   * Payloads of 16 KiB or more are written without a copy: do not modify the
   * buffer until the next event-loop turn. `compress: false` skips
   * permessage-deflate for this message.
   */
  send(data: MessageData, options: { binary?: boolean; fragmentSize?: number; compress?: boolean } = {}): void {
    const binary = options.binary ?? typeof data !== 'string';
    this.shell.protocol.send(toBytes(data), { binary, fragmentSize: options.fragmentSize, compress: options.compress });
  }

  /** Writes a message framed once with `WebSocketServer.prepare`, shared with other connections. */
  sendPrepared(message: PreparedMessage): void {
    this.shell.sendPrepared(message);
  }

  ping(data: MessageData = EMPTY): void {
    this.shell.protocol.ping(toBytes(data));
  }

  pong(data: MessageData = EMPTY): void {
    this.shell.protocol.pong(toBytes(data));
  }

  /** Starts the closing handshake; the socket is closed once the peer answers, or after `closeTimeout`. */
  close(code?: number, reason?: string): void {
    this.shell.close(code, reason);
    this.syncState();
  }

  /** Destroys the socket at once, without a closing handshake (→ 1006). */
  terminate(): void {
    this.shell.terminate();
  }

  // --- ShellListener (called by the shell, not by applications) ------------------------

  /** @internal */
  onMessage(data: Buffer, binary: boolean): void {
    this.emit('message', data, binary);
  }

  /** @internal */
  onPing(data: Buffer): void {
    this.emit('ping', data);
  }

  /** @internal */
  onPong(data: Buffer): void {
    this.emit('pong', data);
  }

  /** @internal */
  onDrain(): void {
    this.emit('drain');
  }

  /** @internal */
  onError(error: Error): void {
    this.syncState();
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** @internal */
  onClosing(): void {
    this.readyState = ReadyState.CLOSING;
  }

  /** @internal */
  onClosed(info: CloseInfo): void {
    this.readyState = ReadyState.CLOSED;
    this.registry?.delete(this);
    this.emit('close', info.code, info.reason, info.wasClean);
  }

  private syncState(): void {
    if (this.readyState === ReadyState.OPEN && this.shell.protocol.state !== ConnectionState.Open) {
      this.readyState = ReadyState.CLOSING;
    }
  }
}

const EMPTY = new Uint8Array(0);
