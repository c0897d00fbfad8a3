import { WireError, type Codec, type Command, type Push, type Reply } from '@switchboard/wire';
import type { ConnectionRequest } from '../auth/identity.js';

/**
 * The server's half of a client protocol: a client's messages to commands,
 * replies and pushes to messages. Every `Codec` of `switchboard.v1` is one
 * (`switchboard.v1.json`, `switchboard.v1.msgpack`); another protocol (Pusher's)
 * translates its own frames into the same commands, so sessions, channels,
 * history and presence serve it unchanged. Stateless and shared by every
 * session that speaks it: the hub encodes each push once per protocol.
 */
export type ClientProtocol = Pick<Codec, 'subprotocol' | 'binary' | 'decodeCommands' | 'encodeReply' | 'encodePush'>;

/**
 * One message that goes to many sessions (a publication, a join…): encoded once
 * per client protocol by the hub. Each transport family frames it once too, on
 * first write, through its own `FrameCache` (the WebSocket frame, the SSE
 * `data:` event, the NDJSON line…), so every subscriber gets the same bytes.
 */
export class SharedMessage {
  // The first family's framing in two fields (the common case, read once per delivery); any other in a map.
  private firstCache: FrameCache<unknown> | undefined;
  private firstFrame: unknown;
  private others: Map<FrameCache<unknown>, unknown> | undefined;

  constructor(
    /** The message as the protocol encoded it. */
    readonly bytes: Uint8Array,
    /** The message itself, for a transport that frames by kind (SSE: each publication's event id). */
    readonly push: Push,
    /** May a transport compress it (namespace option `compress`)? */
    readonly compress = true,
  ) {}

  /** This message as `cache` frames it: made by the first session that writes it, then the same value for all. */
  framed<T>(cache: FrameCache<T>): T {
    if (this.firstCache === cache) return this.firstFrame as T;
    if (this.firstCache === undefined) {
      this.firstCache = cache;
      return (this.firstFrame = cache.frame(this));
    }
    const others = (this.others ??= new Map());
    let framed = others.get(cache) as T | undefined;
    if (framed === undefined) others.set(cache, (framed = cache.frame(this)));
    return framed;
  }
}

/** One transport family's framing of shared messages; the object itself is the cache key. */
export interface FrameCache<T> {
  frame(message: SharedMessage): T;
}

/** What a session and its observers (metrics, logs, hooks) know of the transport it runs over. */
export interface TransportInfo {
  /**
   * The `transport` label of metrics and logs: `websocket`, `websocket-h2`, `sse`, `http-stream`, `sse-emulation`,
   * `long-poll`, `memory`.
   */
  readonly name: string;
  /** The peer's address, read when asked (reading it makes Node keep a copy per socket). */
  readonly remoteAddress: string | undefined;
  /** The sticky-free HTTP transports' `<id>.<secret>`, told to the client in the connect reply (`session`). */
  readonly sessionToken?: string;
  /** The client cannot send (a plain EventSource): its commands are built from the request, at open. */
  readonly unidirectional?: boolean;
}

/**
 * How a session reaches its client: the downstream of one transport family
 * (`websocket/`, `http/`, `memory/`). A transport frames what the session sends,
 * encoded by its client protocol, and reports what comes back to the session's
 * `SessionInbound`: commands already decoded, keepalive answers, its close.
 * It never interprets a command; the session owns the protocol's semantics.
 */
export interface Transport {
  readonly info: TransportInfo;
  /** Encodes what the session sends (and decodes what the client sends, where the client can send). */
  readonly protocol: ClientProtocol;
  /** Bytes waiting to be sent. */
  readonly bufferedAmount: number;
  /** Sends one message for this session only (a reply, a push). */
  write(message: Reply | Push): void;
  /** Sends a message shared with other sessions, encoded once for all by `protocol`. */
  writeShared(message: SharedMessage): void;
  /**
   * Ends the connection with a disconnect (or WebSocket) code. The session records this close itself: `closed` is for
   * the ends it did not ask for.
   */
  close(code: number, reason: string): void;
  /** Tells a peer that stopped answering why (best effort), then drops the connection without waiting for it. */
  abort(code: number, reason: string): void;
  /**
   * Sends the transport's own keepalive (a WebSocket ping); the answer comes as `alive`. Others rely on the `ping`
   * push.
   */
  ping(): void;
  /** Calls `listener` once, when the send backlog has been handed to the network after a write had to wait. */
  onceDrained(listener: () => void): void;
  /** Where the transport reports to; called once, by the server, before any command can arrive. */
  bind(inbound: SessionInbound): void;
}

/** The session's one inbound port: what every transport family reports, however the bytes came. */
export interface SessionInbound {
  /** Commands in the order the client sent them; a malformed one comes as a WireError in its place. */
  receive(commands: readonly (Command | WireError)[]): void;
  /** A message that could not be decoded at all: the session disconnects with 3002 (bad request). */
  malformed(reason: string): void;
  /** The peer answered a keepalive. */
  alive(): void;
  closed(code: number, reason: string): void;
}

/** The inbound port of a transport not yet bound: nothing is expected before `bind`, and nothing is kept. */
export const UNBOUND: SessionInbound = { receive() {}, malformed() {}, alive() {}, closed() {} };

/** Decodes one client message with `protocol` and hands its commands to `inbound` (or reports it malformed). */
export function receiveEncoded(protocol: ClientProtocol, bytes: Uint8Array, inbound: SessionInbound): void {
  receiveVia(protocol, protocol.decodeCommands, bytes, inbound);
}

/**
 * Decodes one client message with `decode` (a method of `decoder`, called on it) and hands its
 * commands to `inbound`; a message that cannot be decoded at all is reported malformed.
 */
export function receiveVia<D, T>(
  decoder: D,
  decode: (this: D, message: T) => (Command | WireError)[],
  message: T,
  inbound: SessionInbound,
): void {
  let commands: (Command | WireError)[];
  try {
    commands = decode.call(decoder, message);
  } catch (error) {
    return inbound.malformed(error instanceof WireError ? error.message : 'malformed message');
  }
  inbound.receive(commands);
}

/** Encodes a reply or a push with `protocol`. */
export function encodeMessage(protocol: ClientProtocol, message: Reply | Push): Uint8Array {
  return 'push' in message ? protocol.encodePush(message) : protocol.encodeReply(message);
}

/** What a client protocol's endpoints (and the transport families' endpoints they use) may ask of their node. */
export interface ProtocolHost {
  readonly nodeId: string;
  /**
   * Opens a session over `transport`; `opening` are commands built from the
   * request (a unidirectional stream's `connect`), run as if the client sent them.
   */
  open(transport: Transport, request: ConnectionRequest, opening?: readonly Command[]): void;
}
