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
import type { PreparedMessage } from './prepared-message.js';

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
  /**
   * The send backlog has been handed to the transport, after a flush that filled the
   * transport's own buffer (Node's 'drain' condition) or after `requestDrain()`.
   */
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
 *
 * Backpressure: reading follows the core's `readPaused`, re-checked after every
 * `receive` and every `written`. `written` is reported after each flush and from
 * the callback of a "watched" write. A flush is watched while reading is paused
 * or a drain is wanted, so a backlog that shrinks always gets reported. The socket's
 * own 'drain' is not relied on: it comes only after a `write()` that returned
 * false, and Node 20 returns true when the transport takes a write at once,
 * whatever its size, or when a backlog stays under the transport's own
 * `writableHighWaterMark`.
 */
export class SocketShell implements ConnectionHandler {
  readonly protocol: ProtocolConnection;
  private queue: Buffer[] = [];
  private queued = 0;
  private flushScheduled = false;
  private endAfterFlush = false;
  /** Until `start()`, the owner decides whether the socket flows (the client holds it paused). */
  private started = false;
  /** Whether this shell has paused the socket's reading. */
  private paused = false;
  /** Someone waits for `onDrain`: a flush filled the transport's buffer, or `requestDrain()` was called. */
  private drainWanted = false;
  /** Watched writes still in the transport; their callbacks report what it has taken. */
  private watchedWrites = 0;
  /** The watched writes' callback, made the first time one is needed (most connections never need one). */
  private afterWrite: (() => void) | undefined;
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
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /**
   * Feeds the bytes that arrived with the handshake, before any 'data' event, and
   * from then on pauses and resumes the socket as backpressure says.
   */
  start(head: Uint8Array): void {
    this.started = true;
    this.paused = this.socket.isPaused();
    if (head.length > 0) this.protocol.receive(head);
    this.syncReading();
  }

  get bufferedAmount(): number {
    return this.protocol.bufferedAmount;
  }

  /** True until the closing handshake starts: messages may be sent. */
  get isOpen(): boolean {
    return this.protocol.state === ConnectionState.Open && !this.protocol.closeSent;
  }

  get remoteAddress(): string | undefined {
    return (this.socket as { remoteAddress?: string }).remoteAddress;
  }

  /**
   * Sends one unfragmented message (compressed if an extension says so). Throws once the closing handshake has started.
   */
  send(data: Uint8Array, binary: boolean): void {
    this.protocol.send(data, { binary });
  }

  /** Writes a message framed once for many connections (server role only). */
  sendPrepared(message: PreparedMessage): void {
    this.protocol.sendPrepared(message);
  }

  ping(): void {
    this.protocol.ping();
  }

  /**
   * Asks for one `onDrain` once the current backlog has been handed to the transport.
   * With nothing waiting to be written (or only bytes under the transport's own
   * high-water mark, which it takes without asking for more time), it comes on the next tick.
   */
  requestDrain(): void {
    this.drainWanted = true;
    if (!this.flushScheduled && this.watchedWrites === 0) process.nextTick(drainTick, this);
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

  /** The callback for the last write of a flush that must report back when the transport has taken it. */
  private watch(): () => void {
    this.watchedWrites++;
    return (this.afterWrite ??= () => this.onWatchedWrite());
  }

  /** Reports what the transport has taken since the last report, then lets reading follow `readPaused`. */
  private settle(): void {
    const protocol = this.protocol;
    protocol.written(protocol.bufferedAmount - this.socket.writableLength - this.queued);
    if (protocol.readPaused !== this.paused) this.syncReading();
  }

  /**
   * Pauses the socket while the core says so, resumes it when it no longer does.
   * Once the connection is closed, input is only read to see the transport end,
   * so it never waits for the backlog (else the peer's FIN waits for `closeTimeout`).
   */
  private syncReading(): void {
    if (!this.started || this.done) return;
    const pause = this.protocol.readPaused && this.protocol.state !== ConnectionState.Closed;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
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
    if (queue.length > 0) {
      // Node's 'drain' condition, decided before writing: the writes fill the transport's buffer.
      if (socket.writableLength + size >= socket.writableHighWaterMark) this.drainWanted = true;
      const done = this.drainWanted || this.protocol.readPaused ? this.watch() : undefined;
      const last = queue.length - 1;
      if (last === 0) socket.write(queue[0], done);
      else if (size <= CONCAT_LIMIT) socket.write(Buffer.concat(queue, size), done);
      else {
        socket.cork();
        for (let i = 0; i < last; i++) socket.write(queue[i]);
        socket.write(queue[last], done);
        socket.uncork();
      }
    }
    this.settle();
    if (this.endAfterFlush) socket.end();
  }

  /** @internal */
  onData(chunk: Uint8Array): void {
    this.protocol.receive(chunk);
    if (this.paused || this.protocol.readPaused) this.syncReading();
  }

  /** @internal A watched write has been taken by the transport (or failed, when the socket is gone). */
  onWatchedWrite(): void {
    this.watchedWrites--;
    if (this.done) return;
    this.settle();
    if (this.watchedWrites === 0 && !this.flushScheduled) this.emitDrainIfWanted();
  }

  /** @internal */
  emitDrainIfWanted(): void {
    if (!this.drainWanted || this.done) return;
    this.drainWanted = false;
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
 * Shells with output in this I/O turn. One `setImmediate` flushes them all, after
 * the event loop's poll phase: everything the reads, timers and promise chains of
 * one turn produced for a socket (several publications that arrived in one read,
 * each in its own promise continuation) leaves in one write, and a broadcast to N
 * sockets schedules one callback, not N. Order on each socket is the order of `onOutput`.
 */
let dirty: SocketShell[] = [];
function scheduleFlush(shell: SocketShell): void {
  if (dirty.push(shell) === 1) setImmediate(flushDirty);
}
function flushDirty(): void {
  const shells = dirty;
  dirty = [];
  for (const shell of shells) if (shell.flushPending) shell.flush();
}
function onSocketData(this: ShellSocket, chunk: Uint8Array): void {
  this[kShell].onData(chunk);
}
function drainTick(shell: SocketShell): void {
  shell.emitDrainIfWanted();
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
