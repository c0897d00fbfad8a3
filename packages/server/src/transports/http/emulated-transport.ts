import type { JsonCodec, Push, Reply } from '@switchboard/wire';
import { DrainWaiters } from '../drain-waiters.js';
import {
  receiveVia,
  UNBOUND,
  type SessionInbound,
  type SharedMessage,
  type Transport,
  type TransportInfo,
} from '../transport.js';

/**
 * What the sticky-free HTTP transports (HTTP streaming, SSE emulation,
 * long-polling) share: a session reachable by upstream requests that may land
 * on any node, which parses them and applies them here in order (`receive`).
 * `sessionToken` (`<id>.<secret>`) is told to the client in the connect reply
 * (`session`) together with the owning node; the secret is 128 random bits, so
 * a guessed or leaked id alone grants nothing.
 */
export abstract class EmulatedTransport implements Transport, TransportInfo {
  abstract readonly name: string;
  protected inbound: SessionInbound = UNBOUND;
  protected closed = false;
  protected readonly drained = new DrainWaiters();

  constructor(
    readonly protocol: JsonCodec,
    readonly remoteAddress: string | undefined,
    /** The id half of the token: `HttpSessions`' key. */
    readonly sessionId: string,
    /** What the connect reply hands the client. */
    readonly sessionToken: string,
  ) {}

  get info(): TransportInfo {
    return this;
  }

  bind(inbound: SessionInbound): void {
    this.inbound = inbound;
  }

  /** Runs one upstream message, parsed where it arrived (`HttpSessions` applies them in `seq` order). */
  receive(message: unknown): void {
    if (!this.closed) receiveVia(this.protocol, this.protocol.decodeParsed, message, this.inbound);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  abstract readonly bufferedAmount: number;
  abstract write(message: Reply | Push): void;
  abstract writeShared(message: SharedMessage): void;
  abstract close(code: number, reason: string): void;
  abstract ping(): void;
  abstract onceDrained(listener: () => void): void;
}
