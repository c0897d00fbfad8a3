// The one schema of the server's options (TypeBox: JSON Schema, validated by a compiled checker).
// `resolveServerOptions` validates through it and SERVER_DEFAULTS comes from it; `switchboard serve`
// extends it with its own keys, flags and environment variables, and docs/operations.md's option
// tables are generated from both (scripts/docs-options.ts). docs/decisions/0003-typebox-option-schema.md.
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** What an option's schema carries besides JSON Schema's `description`, `default`, limits and enums. */
export interface OptionMeta {
  /** One line of plain text: the docs' description and, for options with a flag, `--help`'s. */
  description: string;
  /** Markdown the docs add after `description` (details, links); never in `--help`. */
  details?: string;
  /** How a bad value is described, `<key> must be <expect>, got <value>`; derived from the schema when absent. */
  expect?: string;
  /** The default as the docs show it when it is not a JSON value, or when there is none to merge. */
  defaultText?: string;
  /** Only embedding can set it (a function, an instance): never a config-file key. */
  embedOnly?: true;
  /** A credential: an error message never shows its value. */
  secret?: true;
}

/** A property with its default recorded in the type, so that the defaults object is typed from the schema. */
type Defaulted<T extends TSchema> = T & { default: Static<T> };

const option = <T extends TSchema>(schema: T, meta: OptionMeta): T => Object.assign(schema, meta);
const defaulted = <T extends TSchema>(schema: T, value: Static<T>, meta: OptionMeta): Defaulted<T> =>
  Object.assign(schema, meta, { default: value });
const positive = (value: number, meta: OptionMeta) => defaulted(Type.Integer({ minimum: 1 }), value, meta);
const noLimitAtZero = (meta: OptionMeta) =>
  defaulted(Type.Integer({ minimum: 0 }), 0, { expect: 'an integer ≥ 0 (0: no limit)', ...meta });
const rate = <B extends TSchema>(burst: B) =>
  Type.Union([
    Type.Literal(false),
    Type.Object({ perSecond: Type.Number({ exclusiveMinimum: 0 }), burst }, { additionalProperties: false }),
  ]);
const RATE_EXPECT = 'false or { perSecond > 0, burst ≥ 1 }';
const anyObject = () => Type.Object({}, { additionalProperties: true });

/** Every `ServerOptions` key: type, default, limits and description. Keys in the interface's order. */
export const SERVER_OPTION_PROPERTIES = {
  namespaces: defaulted(
    Type.Record(Type.String(), Type.Unknown()),
    {},
    {
      description:
        'Namespace name → namespace options; a channel `ns:name` follows `namespaces[ns]`, and one in an unlisted ' +
        'namespace gets 102.',
      details: '[Namespace options](#namespace-options).',
    },
  ),
  engine: option(Type.Unknown(), {
    description:
      'Where publications, history, presence and node commands live: `memoryEngine()`, `redisEngine(…)` or ' +
      '`natsEngine(…)`.',
    details: '[Engines](#engines).',
    defaultText: '`memoryEngine()`',
    embedOnly: true,
  }),
  hooks: option(anyObject(), {
    description: "The application's callbacks: connect, subscribe, publish, RPC…",
    details: '[server-api.md](server-api.md#hooks).',
    defaultText: '`{}`',
    embedOnly: true,
  }),
  proxy: option(anyObject(), {
    description:
      "The application's backend, called over HTTP for connect, refresh, subscribe, publish, RPC and sub_refresh.",
    details: '[server-api.md](server-api.md#backend-proxies).',
    defaultText: 'none',
  }),
  allowAnonymous: defaulted(Type.Boolean(), false, {
    description:
      'Accept `connect` without an `onConnecting` hook: the user id is "" and connInfo the client\'s `data`.',
  }),
  apiKey: option(Type.String({ minLength: 16 }), {
    description:
      'Key for the HTTP API (`Authorization: apikey KEY`), at least 16 characters; without one the API answers 401 ' +
      'to everything.',
    defaultText: 'none',
    secret: true,
  }),
  jwt: option(anyObject(), {
    description: 'JWT authentication for connect, refresh and subscribe tokens where the hooks do not decide.',
    details: '[Authentication](#authentication).',
    defaultText: 'none',
  }),
  allowedOrigins: option(Type.Array(Type.String()), {
    description:
      'Browser origins allowed to open WebSockets, each exact (`https://app.example`); any other Origin gets HTTP ' +
      '403 at the handshake.',
    defaultText: "all origins; with `jwt.cookie`, the Host's own",
  }),
  personalNamespace: option(Type.String(), {
    description:
      'Every connection of user U is subscribed to `ns:#U` at connect; the namespace must be in `namespaces`.',
    defaultText: 'none',
  }),
  codecs: option(Type.Array(Type.Unknown()), {
    description:
      'Wire formats, chosen by WebSocket subprotocol: a client that offers none gets the first, one that offers ' +
      'only unknown ones HTTP 400.',
    defaultText: '`[new JsonCodec(), new MsgpackCodec()]`',
    embedOnly: true,
  }),
  websocketPath: defaulted(Type.String({ pattern: '^/' }), '/connection/websocket', {
    description: 'Path of the WebSocket endpoint.',
    expect: 'a path starting with "/"',
  }),
  httpTransportsPath: defaulted(
    Type.Union([Type.Literal(false), Type.String({ pattern: '^/(.*[^/])?$' })]),
    '/connection' as string | false,
    {
      description:
        'Path prefix of the sticky-free HTTP transports (`/sse`, `/stream`, `/emulation`, `/poll/open`, `/poll`); ' +
        '`false` turns them off.',
      details: '[transports.md](transports.md).',
      expect: 'a path starting with "/" and not ending with one, or false',
    },
  ),
  forwardTimeoutMs: positive(5000, {
    description:
      "An upstream request forwarded to the session's node answers 504 (123) after this many ms (plus a poll's " +
      'wait).',
  }),
  compression: defaulted(
    Type.Union([
      Type.Literal(false),
      Type.Object({ threshold: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
    ]),
    false as false | { threshold?: number },
    {
      description:
        'permessage-deflate for WebSocket clients that offer it, no context takeover, a publication compressed once' +
        ' for all its subscribers; messages under `threshold` bytes go plain. `false`: off.',
      details:
        'E.g. `{ "threshold": 1024 }` ' +
        '([compression.md](compression.md#broadcast-and-prepared-frames-compressed-once)).',
      expect: 'false or { threshold?: integer ≥ 0 }',
    },
  ),
  maxMessageSize: positive(65_536, {
    description: 'Largest client WebSocket message, in bytes (close 1009 beyond it).',
  }),
  maxApiBodySize: positive(1_048_576, { description: 'Largest HTTP API request body, in bytes (413 beyond it).' }),
  apiBodyTimeoutMs: positive(10_000, {
    description:
      'An HTTP API request body must arrive whole within this many ms of its head, else 408 (code 114) and the ' +
      'connection is closed (slowloris).',
  }),
  maxSubscriptionsPerConnection: positive(128, {
    description:
      'Channels one connection may be subscribed to at once, server-side subscriptions included (106 beyond it).',
  }),
  commandRate: defaulted(
    rate(Type.Integer({ minimum: 1 })),
    { perSecond: 20_000, burst: 40_000 } as false | { perSecond: number; burst: number },
    {
      description:
        "A token bucket on each connection's commands; the excess gets reply error 111 (temporary), or is dropped " +
        'when it has no id. `false`: no limit.',
      details:
        'The default only stops a runaway connection (a trusted publisher connection gets through); for untrusted ' +
        'clients set it low, e.g. `{ "perSecond": 50, "burst": 100 }`.',
      expect: RATE_EXPECT,
    },
  ),
  maxConnectionsPerUser: noLimitAtZero({
    description:
      'Connections one user may hold across the cluster; more are closed with 3400. Anonymous clients are not ' +
      'counted. 0: no limit.',
    details: "Counted in the engine's presence store (one write and one read per connect), so it is off by default.",
  }),
  maxConnections: noLimitAtZero({
    description:
      'Connections this node holds; more are closed with 3400. `serve` warns at start-up when `ulimit -n` is below ' +
      'it plus 128. 0: no limit.',
  }),
  maxChannelsPerNode: positive(100_000, {
    description: 'Channels with subscribers on this node; a subscribe that would add one more gets 106.',
  }),
  apiCorsOrigins: option(Type.Array(Type.String()), {
    description:
      'Browser origins allowed to call the HTTP API (CORS: preflights answered, Access-Control-Allow-Origin set); ' +
      'others get no CORS headers, a refused preflight 403.',
    defaultText: 'none',
  }),
  maxPendingCommands: positive(256, {
    description: 'Commands queued on one connection behind the one being handled; more get reply error 111.',
  }),
  connectTimeoutMs: positive(5000, {
    description: 'A connection must send a successful `connect` within this many ms of opening (disconnect 3007).',
  }),
  rpcTimeoutMs: positive(10_000, { description: 'An RPC handler that takes longer gets reply error 114.' }),
  idempotencyWindowMs: positive(300_000, {
    description:
      "How long a publish `idempotencyKey` is remembered: the same key within it gets the first publish's result.",
  }),
  tokenGraceMs: positive(25_000, {
    description:
      "When a connection's credentials expire (`expiresAt`) the server pushes `refresh`, and closes with 3005 this " +
      'many ms later without one.',
    details: '[protocol.md](protocol.md#credentials-over-a-connections-life).',
  }),
  pingIntervalMs: positive(25_000, {
    description:
      'Every connection is pinged this often: a WebSocket ping, plus a `ping` push to clients that ask for one.',
    details: '[Heartbeats](#heartbeats).',
  }),
  pongTimeoutMs: positive(10_000, {
    description:
      'A connection that sends nothing, not even a pong, within this many ms of a ping is dropped (1006). Less than' +
      ' `pingIntervalMs`.',
  }),
  maxSendBufferBytes: positive(1_048_576, {
    description:
      "Bytes a connection may have waiting to be sent before its namespaces' `backpressure` policies apply; twice " +
      'this closes it with 3008 whatever the policy.',
    details: '[Slow consumers](#slow-consumers).',
  }),
  acceptRate: defaulted(
    rate(Type.Optional(Type.Integer({ minimum: 1 }))),
    { perSecond: 2000, burst: 4000 } as false | { perSecond: number; burst?: number },
    {
      description:
        'A token bucket on WebSocket handshakes; the excess gets HTTP 503 with Retry-After. `false`: no limit.',
      details: '[Reconnect storms](#reconnect-storms).',
      expect: RATE_EXPECT,
    },
  ),
  drainBatchSize: positive(500, {
    description: 'A drain (SIGTERM, `POST /api/drain`) closes this many connections at a time…',
  }),
  drainIntervalMs: positive(500, { description: '…this many ms apart…' }),
  drainReconnectWindowMs: positive(10_000, {
    description: '…and tells each client to come back at a random moment within this many ms.',
  }),
  presenceTtlMs: positive(60_000, {
    description:
      "Presence entries expire unless refreshed; each node refreshes its own at a third of it, so a dead node's " +
      'entries disappear.',
  }),
  positionCheckIntervalMs: defaulted(Type.Integer({ minimum: 0 }), 15_000, {
    description:
      "This often, every history channel with subscribers here has its top position compared with the engine's, so " +
      'that publications lost between nodes with nothing after them are found (subscribers get 3010 and ' +
      "recover). 0: only when the engine's link comes back.",
    details:
      'One `history` read with `limit: 0`, 64 channels at a time; another epoch, or no stream, is a gap at once, a ' +
      'higher offset one if still missing 1000 ms later.',
  }),
  readinessTimeoutMs: positive(1000, {
    description: '`/health/ready` (and `/health`) answers 503 `engine-unavailable` when an engine read takes longer.',
  }),
  protectMetrics: defaulted(
    Type.Union([
      Type.Literal(false),
      Type.Literal('apiKey'),
      Type.Object({ token: Type.String({ minLength: 16 }) }, { additionalProperties: false }),
    ]),
    false as false | 'apiKey' | { token: string },
    {
      description:
        'Who may read `/metrics`: anyone (`false`), the API key holder (`"apiKey"`: `Authorization: apikey KEY`), ' +
        'or a bearer token (`{ "token": "…" }`, at least 16 characters).',
      expect: "false, 'apiKey' or { token } (at least 16 characters)",
    },
  ),
  webhooks: option(Type.Array(anyObject()), {
    description:
      'Where lifecycle events are POSTed, signed per Standard Webhooks: [{ url, secret, events?, namespaces?, … }].',
    details: '[webhooks.md](webhooks.md#configuration).',
    defaultText: 'none',
  }),
  lifecycle: option(anyObject(), {
    description: 'Dead-node detection and webhook lease timing: { nodeTtlMs, sweepIntervalMs, leaseMs, pollMs }.',
    details: '[webhooks.md](webhooks.md#configuration).',
    defaultText: '`{ nodeTtlMs: 15000, sweepIntervalMs: 5000, leaseMs: 10000, pollMs: 250 }`',
  }),
  nodeId: option(Type.String({ minLength: 1 }), {
    description: 'Node id in the cluster.',
    defaultText: 'random 8 characters',
    embedOnly: true,
  }),
  nodeName: option(Type.String(), {
    description: "Human name of this node, shown in the API's `info`.",
    defaultText: 'the host name',
  }),
} satisfies TProperties;

export type ServerOptionKey = keyof typeof SERVER_OPTION_PROPERTIES;

/**
 * The schema `resolveServerOptions` checks: every key optional; unknown keys are the caller's (TypeScript's) concern.
 */
export const ServerOptionsSchema = Type.Partial(Type.Object(SERVER_OPTION_PROPERTIES));

type DefaultsOf<P> = {
  [K in keyof P as P[K] extends { default: unknown } ? K : never]: P[K] extends { default: infer D } ? D : never;
};

/** The schema's defaults, one frozen object. */
export function defaultsOf<P extends TProperties>(properties: P): Readonly<DefaultsOf<P>> {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(properties)
        .filter(([, s]) => 'default' in s)
        .map(([k, s]) => [k, s.default]),
    ),
  ) as DefaultsOf<P>;
}

/** How a bad value of a property is described: its `expect`, else what its type and limits say. */
export function expectation(schema: TSchema): string {
  if (typeof schema.expect === 'string') return schema.expect;
  if (schema.anyOf)
    return joinOr((schema.anyOf as TSchema[]).map((s) => (s.const !== undefined ? String(s.const) : expectation(s))));
  switch (schema.type) {
    case 'integer':
      if (schema.minimum !== undefined && schema.maximum !== undefined) return `${schema.minimum}–${schema.maximum}`;
      if (schema.minimum === 1) return 'a positive integer';
      return schema.minimum === 0 ? 'an integer ≥ 0' : 'an integer';
    case 'boolean':
      return 'true or false';
    case 'string':
      return schema.minLength ? `a string of at least ${schema.minLength} characters` : 'a string';
    case 'array':
      return 'a list of strings';
    case 'object':
      return 'an object';
    default:
      return 'valid';
  }
}

const joinOr = (items: string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/** A value as an error message shows it: JSON, so a string is quoted. */
export const showValue = (value: unknown): string =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

/** A compiled check of an object of options: the first bad top-level key and why, or undefined. */
export type OptionsCheck = (value: Record<string, unknown>) => { key: string; message: string } | undefined;

/** Compiles a checker for `schema` whose messages name the top-level key at fault. */
export function compileOptionsCheck(schema: TObject): OptionsCheck {
  const check: TypeCheck<TObject> = TypeCompiler.Compile(schema);
  return (value) => {
    if (check.Check(value)) return undefined;
    const error = check.Errors(value).First();
    const key = error?.path.split('/')[1];
    if (!error || !key || !(key in schema.properties)) return { key: '', message: error?.message ?? 'invalid options' };
    const property = schema.properties[key];
    return {
      key,
      message: `${key} must be ${expectation(property)}${property.secret ? '' : `, got ${showValue(value[key])}`}`,
    };
  };
}
