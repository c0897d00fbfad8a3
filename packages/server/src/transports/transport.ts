import type { Codec } from '@switchboard/wire';

/**
 * One encoded message that goes to many sessions (a publication, a join…).
 * Encoded once per codec by the hub; each transport kind may cache its framing
 * of it here, so e.g. the WebSocket frame header is built once too.
 */
export class SharedMessage {
  /** A transport's own framing of `bytes`, made by the first session that writes it. */
  framed: unknown;
  constructor(
    readonly bytes: Uint8Array,
    /** May a transport compress it (namespace option `compress`)? */
    readonly compress = true,
  ) {}
}

/**
 * How a session reaches its client: WebSocket, memory, SSE, HTTP streaming
 * and long-polling, one file each. A transport only moves encoded messages;
 * the session owns the protocol.
 */
export interface Transport {
  /** The `transport` label of metrics and logs. */
  readonly name: string;
  readonly codec: Codec;
  readonly remoteAddress: string | undefined;
  /** The sticky-free HTTP transports' `<id>.<secret>`, told to the client in the connect reply (`session`); absent for the others. */
  readonly sessionToken?: string;
  /** Bytes waiting to be sent. */
  readonly bufferedAmount: number;
  /** Writes one message for this session only (a reply, a push). */
  write(bytes: Uint8Array): void;
  /** Writes a message shared with other sessions. */
  writeShared(message: SharedMessage): void;
  /** Ends the connection with a disconnect (or WebSocket) code. */
  close(code: number, reason: string): void;
  /** Tells a peer that stopped answering why (best effort), then drops the connection without waiting for it. */
  abort(code: number, reason: string): void;
  /** Sends the transport's own keepalive (a WebSocket ping); the answer comes as `onAlive`. Transports without one rely on the `ping` push. */
  ping(): void;
  /** Calls `listener` once, when the send backlog has been handed to the network after a write had to wait. */
  onceDrained(listener: () => void): void;
  /** Where the transport reports messages, keepalive answers and its close; called once, by the server. */
  bind(listener: TransportListener): void;
}

/** What a transport reports to its session. */
export interface TransportListener {
  onMessage(bytes: Uint8Array): void;
  /** The peer answered a keepalive. */
  onAlive(): void;
  onClose(code: number, reason: string): void;
}
