import type { ReplyError } from './codes.js';

/** A place in a channel's stream: see @switchboard/engine's Broker contract for what an epoch means. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** Who a connection is, as others see it in presence and join/leave. */
export interface ClientInfo {
  clientId: string;
  userId: string;
  connInfo?: unknown;
}

export interface ConnectParams {
  /** Credentials (a JWT), unless the handshake already authenticated. */
  token?: string;
  name?: string;
  version?: string;
  /** Free-form data for the server's connect hook (and, for anonymous clients, their presence info). */
  data?: unknown;
  /**
   * Channels to (re)subscribe in the same round trip, with the last position seen on each (and the subscribe token of
   * private channels).
   */
  subs?: Record<string, { since?: StreamPosition; token?: string }>;
  /** True when the client is reconnecting (for the server's reconnect metrics). */
  reconnect?: boolean;
  /**
   * Ask for application-level `ping` pushes, for clients that cannot see WebSocket pings (browsers) and watch for a
   * silent server.
   */
  ping?: boolean;
}
export interface SubscribeParams {
  channel: string;
  /** Per-channel token for private channels. */
  token?: string;
  /** Recover everything after this position, or get `recovered: false`. */
  since?: StreamPosition;
}
export interface ChannelParams {
  channel: string;
}
export interface PublishParams {
  channel: string;
  data: unknown;
  idempotencyKey?: string;
}
export interface HistoryParams {
  channel: string;
  since?: StreamPosition;
  limit?: number;
  reverse?: boolean;
}
export interface RpcParams {
  method: string;
  data: unknown;
}
export interface SendParams {
  data: unknown;
}
export interface RefreshParams {
  token: string;
}

/**
 * Each method's params and the result of its reply. The client's requests and
 * the server's handlers are typed by it; `send` is fire-and-forget (no reply).
 */
export interface MethodMap {
  connect: { params: ConnectParams; result: ConnectResult };
  subscribe: { params: SubscribeParams; result: SubscribeResult };
  unsubscribe: { params: ChannelParams; result: Empty };
  publish: { params: PublishParams; result: PublishResultWire };
  history: { params: HistoryParams; result: HistoryResultWire };
  presence: { params: ChannelParams; result: PresenceResult };
  presence_stats: { params: ChannelParams; result: PresenceStatsResult };
  rpc: { params: RpcParams; result: unknown };
  refresh: { params: RefreshParams; result: RefreshResult };
  ping: { params: Empty; result: Empty };
  send: { params: SendParams; result: never };
}

export type Method = keyof MethodMap;
/** The methods that get a reply. */
export type RequestMethod = Exclude<Method, 'send'>;
export type ParamsOf<M extends Method> = MethodMap[M]['params'];
export type ResultOf<M extends RequestMethod> = MethodMap[M]['result'];

/**
 * A client command. Each has an `id` and gets exactly one reply, except `send`
 * (fire-and-forget), which has none.
 */
export type Command =
  | { [M in RequestMethod]: { id: number; method: M; params: ParamsOf<M> } }[RequestMethod]
  | { id?: undefined; method: 'send'; params: SendParams };

/** The one answer to a command. */
export type Reply = { id: number; result: unknown } | { id: number; error: ReplyError };

/** What the client reads: a reply to one of its commands, or a push. */
export type ServerMessage = Reply | Push;

/** A publication as delivered to clients. */
export interface PublicationPush {
  offset: number;
  epoch: string;
  data: unknown;
  info?: ClientInfo;
  /**
   * This many earlier publications of the channel were dropped or coalesced for this client by its slow-consumer policy
   * (`drop-oldest`, `latest`): a hole on purpose.
   */
  skipped?: number;
}

/** Server-initiated messages: no id, no reply. */
export type Push =
  | { push: 'publication'; channel: string; pub: PublicationPush }
  | { push: 'join'; channel: string; info: ClientInfo }
  | { push: 'leave'; channel: string; info: ClientInfo }
  /**
   * Joins and leaves of one short window (namespace `joinLeaveWindowMs`), in one push: apply `leaves`, then `joins`.
   */
  | { push: 'presence'; channel: string; joins: ClientInfo[]; leaves: ClientInfo[] }
  /**
   * The server subscribed this connection (the HTTP API's `subscribe`): a subscription like any other, from `result`
   * on.
   */
  | { push: 'subscribe'; channel: string; result: SubscribeResult }
  | { push: 'unsubscribe'; channel: string; code: number; reason: string }
  | { push: 'message'; data: unknown }
  /** The connection's credentials have expired: send `refresh` within `graceMs`, or be disconnected with 3005. */
  | { push: 'refresh'; graceMs: number }
  /** Sent every `ping` ms (connect's result) to clients that asked for it in `connect`: the server is alive. */
  | { push: 'ping' };

/** `subscribe`'s result (and each entry of `connect`'s `subs`). */
export interface SubscribeResult {
  /** The channel keeps history: the position to resume from (absent when it does not). */
  position?: StreamPosition;
  /** Present when `since` was given: were all publications after it replayed? */
  recovered?: boolean;
  /** The replayed publications, in offset order, when `recovered`. */
  publications?: PublicationPush[];
}

/** `connect`'s result. */
export interface ConnectResult {
  client: string;
  user: string;
  /** Unix ms when the credentials expire; refresh before. */
  expiresAt?: number;
  /** Per channel (asked for in `subs`, or made by the server): its subscribe result or error. */
  subs: Record<string, SubscribeResult | { error: ReplyError }>;
  /** The node that holds the connection: the sticky-free HTTP transports address their upstream requests to it. */
  node: string;
  /** The sticky-free HTTP transports only: `<id>.<secret>`, which every upstream request of this session carries. */
  session?: string;
  /**
   * The server's heartbeat interval (ms): a client that asked for pings may treat longer silence (plus a grace) as a
   * dead connection.
   */
  ping?: number;
}

export interface PublishResultWire {
  offset: number;
  epoch: string;
}

export interface HistoryResultWire {
  publications: PublicationPush[];
  position: StreamPosition;
}

export interface PresenceResult {
  clients: ClientInfo[];
}

/** `unsubscribe`'s and `ping`'s result, and `ping`'s params. */
export type Empty = Record<string, never>;

/** `refresh`'s result: the new credentials' expiry, when they have one. */
export interface RefreshResult {
  expiresAt?: number;
}

export interface PresenceStatsResult {
  clients: number;
  users: number;
}
