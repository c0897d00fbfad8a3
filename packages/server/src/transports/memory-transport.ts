import type { Codec } from '@switchboard/wire';
import { DrainWaiters } from './drain-waiters.js';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

/** The client's end of a memory connection: what the server writes, and its close. */
export interface MemoryPeer {
  onMessage(bytes: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

/**
 * A transport with no socket: the server and its client in one process, for
 * socket-free tests (`@switchboard/testing`'s `ChannelTest`) and embedding.
 * Writes reach the peer at once, in order. A peer that stops reading
 * (`pauseReading`) leaves them queued and counted in `bufferedAmount`, and
 * answers no keepalive, as a client that stopped reading its socket would;
 * `resumeReading` hands them over and reports the drain.
 */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly remoteAddress = undefined;
  private listener: TransportListener | undefined;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private paused = false;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    readonly codec: Codec,
    private readonly peer: MemoryPeer,
  ) {}

  bind(listener: TransportListener): void {
    this.listener = listener;
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.paused) return this.peer.onMessage(bytes);
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
  }

  writeShared(message: SharedMessage): void {
    this.write(message.bytes);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.onClose(code, reason);
    this.listener?.onClose(code, reason);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    // A reading peer answers at once, as a WebSocket stack answers pings by itself.
    if (!this.paused && !this.closed) queueMicrotask(() => this.listener?.onAlive());
  }

  onceDrained(listener: () => void): void {
    this.drained.add(listener);
  }

  // The client's side.

  /** The client sends one message. */
  send(bytes: Uint8Array): void {
    if (!this.closed) this.listener?.onMessage(bytes);
  }

  /** The client closes the connection. */
  closeFromClient(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.listener?.onClose(code, reason);
  }

  /** The client stops reading: writes queue up. */
  pauseReading(): void {
    this.paused = true;
  }

  /** The client reads again: queued writes are handed over, then the drain is reported. */
  resumeReading(): void {
    this.paused = false;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const bytes of queue) if (!this.closed) this.peer.onMessage(bytes);
    this.drained.release();
  }
}
