import type { Push, Reply } from '@switchboard/wire';
import { DrainWaiters } from '../drain-waiters.js';
import {
  encodeMessage,
  receiveEncoded,
  UNBOUND,
  type ClientProtocol,
  type SessionInbound,
  type SharedMessage,
  type Transport,
  type TransportInfo,
} from '../transport.js';

/** The client's end of a memory connection: what the server writes, and its close. */
export interface MemoryPeer {
  onMessage(bytes: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

/**
 * A transport with no socket: the server and its client in one process, for
 * socket-free tests (`@switchboard/testing`'s `ChannelTest`) and embedding.
 * Messages reach the peer at once, in order, encoded by the protocol as a
 * WebSocket would carry them. A peer that stops reading (`pauseReading`)
 * leaves them queued and counted in `bufferedAmount`, and answers no
 * keepalive, as a client that stopped reading its socket would;
 * `resumeReading` hands them over and reports the drain.
 */
export class MemoryTransport implements Transport, TransportInfo {
  readonly name = 'memory';
  readonly remoteAddress = undefined;
  private inbound: SessionInbound = UNBOUND;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private paused = false;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    readonly protocol: ClientProtocol,
    private readonly peer: MemoryPeer,
  ) {}

  get info(): TransportInfo {
    return this;
  }

  bind(inbound: SessionInbound): void {
    this.inbound = inbound;
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  write(message: Reply | Push): void {
    this.deliver(encodeMessage(this.protocol, message));
  }

  writeShared(message: SharedMessage): void {
    this.deliver(message.bytes);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.onClose(code, reason);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    // A reading peer answers at once, as a WebSocket stack answers pings by itself.
    if (!this.paused && !this.closed) queueMicrotask(() => this.inbound.alive());
  }

  onceDrained(listener: () => void): void {
    this.drained.add(listener);
  }

  private deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.paused) return this.peer.onMessage(bytes);
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
  }

  // The client's side.

  /** The client sends one message. */
  send(bytes: Uint8Array): void {
    if (!this.closed) receiveEncoded(this.protocol, bytes, this.inbound);
  }

  /** The client closes the connection. */
  closeFromClient(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.inbound.closed(code, reason);
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
