import type { EngineFactory } from '@switchboard/engine';
import type { AcceptRateOptions } from '@switchboard/websocket';
import { JsonCodec, type Codec } from '@switchboard/wire';
import { MsgpackCodec } from '@switchboard/wire/msgpack';
import {
  resolveNamespaceOptions,
  type NamespaceOptions,
  type ResolvedNamespaceOptions,
} from './channels/namespace-options.js';
import { resolveJwtOptions, type JwtOptions, type ResolvedJwtOptions } from './auth/jwt-options.js';
import { resolveAllowedOrigins } from './auth/origin-policy.js';
import type { ServerHooks } from './hooks.js';
import type { RateOptions } from './sessions/token-bucket.js';
import { resolveProxyOptions, type ProxyOptions, type ResolvedProxyOptions } from './proxy/proxy-options.js';
import {
  resolveLifecycleOptions,
  type LifecycleOptions,
  type ResolvedLifecycleOptions,
} from './events/lifecycle-options.js';
import { resolveWebhooks, type ResolvedWebhook, type WebhookOptions } from './webhooks/webhook-options.js';
import {
  SERVER_OPTION_PROPERTIES,
  ServerOptionsSchema,
  compileOptionsCheck,
  defaultsOf,
} from './server-options-schema.js';
import {
  resolvePusherOptions,
  type PusherOptions,
  type ResolvedPusherOptions,
} from './protocols/pusher/pusher-options.js';

export interface ServerOptions {
  /** Namespaces by name; a channel `ns:name` follows `namespaces[ns]`. @default {} */
  namespaces?: Record<string, NamespaceOptions>;
  /** Where publications, history, presence and node commands live. @default memoryEngine() */
  engine?: EngineFactory;
  hooks?: ServerHooks;
  /**
   * The application's backend, called over HTTP for connect, refresh, subscribe, publish, RPC and sub_refresh
   * (docs/server-api.md#backend-proxies). @default none
   */
  proxy?: ProxyOptions;
  /** Accept `connect` without `onConnecting` (user id ""; connInfo from the client's `data`). @default false */
  allowAnonymous?: boolean;
  /** Key for the HTTP API (`Authorization: apikey KEY`). Without one the API answers 401 to everything. */
  apiKey?: string;
  /** JWT authentication for `connect`, `refresh` and subscribe tokens where the hooks do not decide. @default none */
  jwt?: JwtOptions;
  /**
   * Browser origins allowed to open WebSockets (exact, e.g. "https://app.example"); others get HTTP 403. @default all,
   * or only the Host's own origin with `jwt.cookie`
   */
  allowedOrigins?: string[];
  /** Namespace of personal channels: every connection of user U is subscribed to `ns:#U` at connect. @default none */
  personalNamespace?: string;
  /**
   * Wire formats, chosen by WebSocket subprotocol (the first when none is offered). @default [new JsonCodec(), new
   * MsgpackCodec()]
   */
  codecs?: Codec[];
  /** Path of the WebSocket endpoint. @default '/connection/websocket' */
  websocketPath?: string;
  /**
   * Path prefix of the sticky-free HTTP transports: `<prefix>/sse`, `/stream`, `/emulation`, `/poll/open`, `/poll`
   * (docs/transports.md). `false` turns them off. @default '/connection'
   */
  httpTransportsPath?: string | false;
  /**
   * An upstream request forwarded to the session's node fails with 504 after this many ms (plus a poll's
   * wait). @default 5000
   */
  forwardTimeoutMs?: number;
  /**
   * permessage-deflate for WebSocket connections whose client offers it (browsers do): no context
   * takeover, so a publication is compressed once for all its subscribers and idle connections
   * hold no zlib memory; messages under `threshold` bytes go uncompressed. Namespaces may opt out
   * (`compress: false`). `false`: off. @default false
   */
  compression?: false | { threshold?: number };
  /** Largest client message (WebSocket close 1009 beyond it). @default 65536 */
  maxMessageSize?: number;
  /** Largest HTTP API request body (413 beyond it). @default 1048576 */
  maxApiBodySize?: number;
  /**
   * An HTTP API request body must arrive whole within this many ms of its head, or gets 408 (code 114) and the
   * connection is closed: a slow sender (slowloris) holds nothing for long. @default 10000
   */
  apiBodyTimeoutMs?: number;
  /** Channels one connection may be subscribed to at once. @default 128 */
  maxSubscriptionsPerConnection?: number;
  /**
   * A token bucket on each connection's commands; the excess gets reply error 111 (temporary), or is dropped when it
   * has no id. `false`: no limit. @default { perSecond: 20_000, burst: 40_000 }
   */
  commandRate?: RateOptions | false;
  /**
   * Connections one user may hold across the cluster; more are closed with 3400 (try later). Anonymous clients are not
   * counted. 0: no limit (each connect then costs no engine round trip). @default 0
   */
  maxConnectionsPerUser?: number;
  /**
   * Connections this node holds; more are closed with 3400 (try later). `serve` warns at start-up when `ulimit -n` is
   * below it. 0: no limit. @default 0
   */
  maxConnections?: number;
  /** Channels with subscribers on this node; a subscribe that would add one more gets 106. @default 100000 */
  maxChannelsPerNode?: number;
  /**
   * Browser origins allowed to call the HTTP API (CORS: preflights answered, `Access-Control-Allow-Origin` set); others
   * get no CORS headers, and a refused preflight 403. @default none
   */
  apiCorsOrigins?: string[];
  /** Commands waiting to be handled on one connection; more get reply error 111. @default 256 */
  maxPendingCommands?: number;
  /** A connection must send `connect` within this many ms (disconnect 3007). @default 5000 */
  connectTimeoutMs?: number;
  /** An RPC handler that takes longer gets reply error 114. @default 10000 */
  rpcTimeoutMs?: number;
  /** Same idempotency key within this window → the first publish's result. @default 300000 */
  idempotencyWindowMs?: number;
  /**
   * After credentials expire (`expiresAt`) the server asks for `refresh`, and disconnects (3005) this many ms later
   * without one. @default 25000
   */
  tokenGraceMs?: number;
  /**
   * Every connection is pinged this often (a WebSocket ping, plus a `ping` push to clients that ask for one). @default
   * 25000
   */
  pingIntervalMs?: number;
  /**
   * A connection that sends nothing, not even a pong, within this many ms of a ping is dropped (a half-open peer;
   * 1006). Less than pingIntervalMs. @default 10000
   */
  pongTimeoutMs?: number;
  /**
   * Bytes a connection may have waiting to be sent before its namespaces' slow-consumer policies apply; twice this
   * closes it (3008) whatever the policy. @default 1048576
   */
  maxSendBufferBytes?: number;
  /**
   * A token bucket on WebSocket handshakes; the excess gets 503 with Retry-After. `false`: no limit. @default {
   * perSecond: 2000, burst: 4000 }
   */
  acceptRate?: AcceptRateOptions | false;
  /** A drain (SIGTERM, `POST /api/drain`) closes this many connections at a time… @default 500 */
  drainBatchSize?: number;
  /** …this many ms apart… @default 500 */
  drainIntervalMs?: number;
  /**
   * …and tells each client to come back at a random moment within this many ms (the close reason's reconnect-after
   * window). @default 10000
   */
  drainReconnectWindowMs?: number;
  /** Presence entries expire unless refreshed; this node refreshes its own at a third of it. @default 60000 */
  presenceTtlMs?: number;
  /**
   * Every channel's top position is compared with this node's this often, so
   * that publications lost between nodes with nothing after them are found
   * (subscribers then recover from history). 0: only when the engine's link comes back. @default 15000
   */
  positionCheckIntervalMs?: number;
  /**
   * `/health/ready` (and `/health`) answers 503 `engine-unavailable` when an engine read takes longer. @default 1000
   */
  readinessTimeoutMs?: number;
  /**
   * Who may read `/metrics`: anyone (`false`), the API key holder (`'apiKey'`: `Authorization: apikey KEY`), or a
   * bearer token (`{token}`: `Authorization: Bearer TOKEN`, at least 16 characters). @default false
   */
  protectMetrics?: false | 'apiKey' | { token: string };
  /** Where lifecycle events are POSTed, signed (docs/webhooks.md); needs an engine with an event log. @default none */
  webhooks?: WebhookOptions[];
  /** Dead-node detection and webhook lease timing (docs/webhooks.md#configuration). */
  lifecycle?: LifecycleOptions;
  /** Node id in the cluster. @default a random id */
  nodeId?: string;
  /** Human name of this node in `info`. @default the host name */
  nodeName?: string;
  /**
   * Pusher Channels apps served on the same port: WebSocket `/app/{key}`, REST `/apps/{id}/` (docs/pusher.md). @default
   * none
   */
  pusher?: PusherOptions;
}

export type ResolvedServerOptions = Required<
  Omit<
    ServerOptions,
    | 'namespaces'
    | 'apiKey'
    | 'jwt'
    | 'allowedOrigins'
    | 'personalNamespace'
    | 'engine'
    | 'hooks'
    | 'proxy'
    | 'apiCorsOrigins'
    | 'webhooks'
    | 'lifecycle'
    | 'pusher'
  >
> & {
  webhooks: ResolvedWebhook[];
  lifecycle: ResolvedLifecycleOptions;
  apiCorsOrigins: string[] | undefined;
  proxy: ResolvedProxyOptions | undefined;
  namespaces: Map<string, ResolvedNamespaceOptions>;
  apiKey: string | undefined;
  jwt: ResolvedJwtOptions | undefined;
  allowedOrigins: string[] | undefined;
  personalNamespace: string | undefined;
  engine: EngineFactory | undefined;
  hooks: ServerHooks;
  pusher: ResolvedPusherOptions | undefined;
};

/** Compile-time: the schema and the interface name the same keys (a key in one only fails `tsc`, naming it). */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? A
  : { onlyInSchema: Exclude<keyof A, keyof B>; onlyInInterface: Exclude<keyof B, keyof A> };
const checkedKeys = <P>(properties: P & SameKeys<P, ServerOptions>): P => properties;

/** The defaults, from the schema (server-options-schema.ts). */
export const SERVER_DEFAULTS = defaultsOf(checkedKeys(SERVER_OPTION_PROPERTIES));

const checkOptions = compileOptionsCheck(ServerOptionsSchema);

/** Merges defaults once and validates eagerly, naming the option at fault. */
export function resolveServerOptions(
  options: ServerOptions,
  defaults: { nodeId: string; nodeName: string },
): ResolvedServerOptions {
  const given = stripUndefined(options);
  const bad = checkOptions(given as Record<string, unknown>);
  if (bad) throw new TypeError(`Switchboard server: ${bad.message}`);
  const merged = { ...SERVER_DEFAULTS, ...defaults, ...given };
  if (merged.pongTimeoutMs >= merged.pingIntervalMs)
    throw new TypeError('Switchboard server: pongTimeoutMs must be less than pingIntervalMs');
  const namespaces = new Map<string, ResolvedNamespaceOptions>();
  for (const [name, ns] of Object.entries(options.namespaces ?? {}))
    namespaces.set(name, resolveNamespaceOptions(name, ns));
  const personal = options.personalNamespace;
  if (personal !== undefined && !namespaces.has(personal)) {
    throw new TypeError(`Switchboard server: personalNamespace "${personal}" is not in namespaces`);
  }
  if (merged.protectMetrics === 'apiKey' && options.apiKey === undefined)
    throw new TypeError("Switchboard server: protectMetrics 'apiKey' needs apiKey");
  return {
    ...merged,
    codecs: options.codecs ?? [new JsonCodec(), new MsgpackCodec()],
    namespaces,
    apiKey: options.apiKey,
    jwt: options.jwt === undefined ? undefined : resolveJwtOptions(options.jwt),
    allowedOrigins: resolveAllowedOrigins(options.allowedOrigins),
    apiCorsOrigins: resolveAllowedOrigins(options.apiCorsOrigins, 'apiCorsOrigins'),
    personalNamespace: personal,
    engine: options.engine,
    hooks: options.hooks ?? {},
    proxy: options.proxy === undefined ? undefined : resolveProxyOptions(options.proxy),
    webhooks: resolveWebhooks(options.webhooks ?? []),
    lifecycle: resolveLifecycleOptions(options.lifecycle),
    pusher: options.pusher === undefined ? undefined : resolvePusherOptions(options.pusher),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
