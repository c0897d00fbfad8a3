import type { Duplex } from 'node:stream';
import {
  CloseCode,
  ConnectionState,
  ProtocolConnection,
  type ConnectionEvent,
  type ConnectionHandler,
  type ProtocolConnectionOptions,
  type ProtocolError,
} from '@switchboard/protocol';
import { asBuffer } from './buffers.js';

/** How the transport ended, as both shells report it. */
export interface CloseInfo {
  /** The peer's close code after a clean closing handshake; the code we sent if we failed the connection; else 1006. */
  code: number;
  reason: string;
  /** True when the closing handshake completed before the transport closed. */
  wasClean: boolean;
  /** Set when we failed the connection because of the peer (§7.1.7). */
  failure?: ProtocolError;
}

export interface ShellListener {
  onMessage(data: Buffer, binary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** Everything queued has been handed to the kernel (after a write had to wait). */
  onDrain?(): void;
  onError(error: Error): void;
  /** The closing handshake completed; the transport closes next (readyState CLOSING). */
  onClosing(): void;
  /** Called exactly once, when the transport is gone. */
  onClosed(info: CloseInfo): void;
}

export interface SocketShellOptions extends ProtocolConnectionOptions {
  /** How long to wait for the peer's close frame, or its TCP close, before destroying the socket. @default 5000 */
  closeTimeout?: number;
}

/** Output batches up to this size are joined into one buffer; larger ones go out as a corked run of writes. */
const CONCAT_LIMIT = 64 * 1024;

/**
 * The only place where WebSocket bytes meet a Node stream. It feeds the
 * sans-I/O core from any Duplex (TCP, TLS, an HTTP/2 stream), batches output
 * per tick, pauses reading above the high-water mark, and closes the transport
 * as RFC 6455 §7.1.1 says: the server closes TCP first, the client waits for it.
 */
export class SocketShell implements ConnectionHandler {
  readonly protocol: ProtocolConnection;
  private queue: Buffer[] = [];
  private queued = 0;
  private flushScheduled = false;
  private endAfterFlush = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private peerClose: { code: number; reason: string } | undefined;
  private failure: ProtocolError | undefined;
  private done = false;
  private readonly closeTimeout: number;
  private readonly isServer: boolean;

  constructor(
    readonly socket: Duplex,
    options: SocketShellOptions,
    private readonly listener: ShellListener,
  ) {
    this.protocol = new ProtocolConnection(options, this);
    this.closeTimeout = options.closeTimeout ?? 5000;
    this.isServer = options.role === 'server';
    // Shared listeners find their shell on the socket: no closures per connection (idle memory).
    (socket as ShellSocket)[kShell] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** Feeds bytes that arrived with the handshake, before any 'data' event. */
  receive(data: Uint8Array): void {
    if (data.length > 0) this.onData(data);
  }

  get bufferedAmount(): number {
    return this.protocol.bufferedAmount;
  }

  /** Starts the closing handshake and bounds how long the peer gets to answer. */
  close(code?: number, reason?: string): void {
    if (this.protocol.closeSent || this.protocol.state === ConnectionState.Closed) return;
    this.protocol.close(code, reason);
    this.armCloseTimer();
  }

  terminate(): void {
    this.socket.destroy();
  }

  // --- ConnectionHandler -------------------------------------------------------

  onOutput(chunk: Uint8Array): void {
    this.queue.push(asBuffer(chunk));
    this.queued += chunk.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  onEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case 'message':
        this.listener.onMessage(asBuffer(event.data), event.binary);
        break;
      case 'ping':
        this.listener.onPing(asBuffer(event.data));
        break;
      case 'pong':
        this.listener.onPong(asBuffer(event.data));
        break;
      case 'close':
        this.peerClose = { code: event.code, reason: event.reason };
        this.listener.onClosing();
        this.afterClosingHandshake();
        break;
      case 'fail':
        this.failure = event.error;
        this.listener.onError(event.error);
        this.endTransport();
        break;
    }
  }

  // --- internals -----------------------------------------------------------------

  /** §7.1.1: the server closes TCP as soon as the handshake is done; the client waits for it, but not forever. */
  private afterClosingHandshake(): void {
    if (this.isServer) this.endTransport();
    else this.armCloseTimer();
  }

  private endTransport(): void {
    this.endAfterFlush = true;
    if (!this.flushScheduled) this.flush();
    this.armCloseTimer();
  }

  private armCloseTimer(): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeout);
    this.closeTimer.unref();
  }

  /** @internal */
  get flushPending(): boolean {
    return this.flushScheduled;
  }

  /** @internal */
  flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    const size = this.queued;
    this.queue = [];
    this.queued = 0;
    const socket = this.socket;
    if (!socket.writable) return;
    if (queue.length === 1) socket.write(queue[0]);
    else if (queue.length > 1 && size <= CONCAT_LIMIT) socket.write(Buffer.concat(queue, size));
    else if (queue.length > 1) {
      socket.cork();
      for (const chunk of queue) socket.write(chunk);
      socket.uncork();
    }
    this.protocol.written(this.protocol.bufferedAmount - socket.writableLength);
    if (this.endAfterFlush) socket.end();
  }

  /** @internal */
  onData(chunk: Uint8Array): void {
    this.protocol.receive(chunk);
    if (this.protocol.readPaused && !this.socket.isPaused()) this.socket.pause();
  }

  /** @internal */
  onDrain(): void {
    this.protocol.written(this.protocol.bufferedAmount - this.socket.writableLength - this.queued);
    if (!this.protocol.readPaused && this.socket.isPaused()) this.socket.resume();
    this.listener.onDrain?.();
  }

  /** @internal The peer ended its side; without a closing handshake this is an abnormal closure. */
  onEnd(): void {
    if (this.socket.writable) this.socket.end();
  }

  /** @internal */
  onError(error: Error): void {
    this.listener.onError(error);
  }

  /** @internal */
  onClose(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.closeTimer);
    this.socket.off('data', onSocketData);
    this.protocol.dispose();
    if (this.peerClose) {
      this.listener.onClosed({ ...this.peerClose, wasClean: true });
    } else if (this.failure) {
      this.listener.onClosed({
        code: this.failure.closeCode,
        reason: this.failure.reason,
        wasClean: false,
        failure: this.failure,
      });
    } else {
      this.listener.onClosed({ code: CloseCode.Abnormal, reason: '', wasClean: false });
    }
  }
}

const kShell = Symbol('switchboard.shell');
type ShellSocket = Duplex & { [kShell]: SocketShell };

/**
 * Shells with output this tick. One nextTick flushes them all, so a broadcast to
 * N sockets schedules one callback, not N; each socket still gets one write.
 */
let dirty: SocketShell[] = [];
function scheduleFlush(shell: SocketShell): void {
  if (dirty.push(shell) === 1) process.nextTick(flushDirty);
}
function flushDirty(): void {
  const shells = dirty;
  dirty = [];
  for (const shell of shells) if (shell.flushPending) shell.flush();
}
function onSocketData(this: ShellSocket, chunk: Uint8Array): void {
  this[kShell].onData(chunk);
}
function onSocketDrain(this: ShellSocket): void {
  this[kShell].onDrain();
}
function onSocketEnd(this: ShellSocket): void {
  this[kShell].onEnd();
}
function onSocketError(this: ShellSocket, error: Error): void {
  this[kShell].onError(error);
}
function onSocketClose(this: ShellSocket): void {
  this[kShell].onClose();
}
