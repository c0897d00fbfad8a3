// Every option of `switchboard serve`, in one schema: the server's own (SERVER_OPTION_PROPERTIES,
// given their flags and environment variables here) and serve's keys (port, engine, TLS, workers,
// logs, dashboard, demo). Parsing flags, reading the environment, the config file's key check,
// validation, `serve --help` and docs/operations.md's tables all come from it.
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { SERVER_OPTION_PROPERTIES, type OptionMeta, type ServerOptionKey } from '@switchboard/server';

/** How `serve` takes an option besides its config-file key. */
export interface ServeMeta extends OptionMeta {
  /** The long flag without its dashes; a boolean flag sets true, or false with `negates`. */
  flag?: string;
  /** The placeholder of a flag's value in `--help` (`--port N`). */
  arg?: string;
  negates?: true;
  /** The SWITCHBOARD_* variable; a list is comma-separated there, and a flag is repeated. */
  env?: string;
  /** Set by flag or environment only, never in the config file. */
  noFile?: true;
  /** Lower-cased before validation (log levels). */
  lowercase?: true;
  /** How messages name it when not by its key. */
  label?: string;
  default?: unknown;
}

export type ServeOptionSchema = TSchema & ServeMeta;

/** Lists of the option's values in `expect` form: `'a', 'b' or 'c'`. */
const literals = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v)) as never) as TSchema;
const meta = <T extends TSchema>(schema: T, m: ServeMeta): T & ServeMeta => Object.assign(schema, m);
const server = (key: ServerOptionKey, m: Partial<ServeMeta> = {}): ServeOptionSchema =>
  ({ ...SERVER_OPTION_PROPERTIES[key], ...m }) as ServeOptionSchema;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** At most this many workers: beyond a few per core they only cost memory. */
export const MAX_WORKERS = 64;

/** Every `serve` option by config-file key, in `--help`'s order. */
export const SERVE_OPTIONS = {
  port: meta(Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }), {
    description: 'Port to listen on; 0 picks a free one.',
    flag: 'port',
    arg: 'N',
    env: 'SWITCHBOARD_PORT',
  }),
  host: meta(Type.String({ default: '127.0.0.1' }), {
    description: 'Address to bind; 0.0.0.0 for every interface (in a container).',
    flag: 'host',
    arg: 'ADDR',
    env: 'SWITCHBOARD_HOST',
  }),
  apiKey: server('apiKey', {
    flag: 'api-key',
    arg: 'KEY',
    env: 'SWITCHBOARD_API_KEY',
    defaultText: 'generated, printed in the banner',
  }),
  allowAnonymous: server('allowAnonymous', {
    flag: 'allow-anonymous',
    env: 'SWITCHBOARD_ALLOW_ANONYMOUS',
    defaultText: 'on without a config file (the demo), else off',
    details: 'The flag can only turn it on; `SWITCHBOARD_ALLOW_ANONYMOUS=false` turns it off.',
  }),
  engine: meta(literals(['memory', 'redis', 'nats']), {
    default: 'memory',
    description: 'The engine: memory (one node on its own), or redis or nats (every node on it is one cluster).',
    details: '[Engines](#engines).',
    flag: 'engine',
    arg: 'NAME',
    env: 'SWITCHBOARD_ENGINE',
  }),
  redisUrls: meta(Type.Array(Type.String()), {
    description:
      'The Redis of --engine redis: redis://, rediss:// or redis-sentinel://host:26379,host2/master; several shard ' +
      'the channels.',
    defaultText: '`redis://127.0.0.1:6379`',
    flag: 'redis-url',
    arg: 'URL',
    env: 'SWITCHBOARD_REDIS_URL',
  }),
  redisPrefix: meta(Type.String(), {
    description: 'Prefix of every Redis key.',
    defaultText: '`sb:`',
    env: 'SWITCHBOARD_REDIS_PREFIX',
  }),
  natsUrls: meta(Type.Array(Type.String()), {
    description:
      "A NATS server of --engine nats, nats://host:4222 or tls://host:4222; several are a cluster's seed servers. " +
      'JetStream must be on.',
    defaultText: '`nats://127.0.0.1:4222`',
    flag: 'nats-url',
    arg: 'URL',
    env: 'SWITCHBOARD_NATS_URL',
  }),
  natsPrefix: meta(Type.String(), {
    description: 'Prefix of the NATS streams, buckets and subjects: letters, digits, _ and -.',
    defaultText: '`sb`',
    env: 'SWITCHBOARD_NATS_PREFIX',
  }),
  natsReplicas: meta(Type.Integer({ minimum: 1 }), {
    description: 'Copies of each stream and presence bucket, 1–5 (3 on a 3-server cluster).',
    defaultText: '`1`',
    label: 'NATS replicas',
    flag: 'nats-replicas',
    arg: 'N',
    env: 'SWITCHBOARD_NATS_REPLICAS',
  }),
  natsStorage: meta(literals(['file', 'memory']), {
    description: 'file (history and epochs survive a NATS restart) or memory (lost on a restart: new epochs).',
    defaultText: '`file`',
    expect: "'file' or 'memory'",
    label: 'NATS storage',
    flag: 'nats-storage',
    arg: 'S',
    env: 'SWITCHBOARD_NATS_STORAGE',
  }),
  tlsCert: meta(Type.String(), {
    description:
      'PEM certificate (chain): serve HTTPS and wss://, HTTP/2 and HTTP/1.1 by ALPN, WebSocket over HTTP/2 (RFC ' +
      '8441); needs tlsKey.',
    details: '[transports.md](transports.md#tls-http2-and-rfc-8441).',
    defaultText: 'none',
    flag: 'tls-cert',
    arg: 'FILE',
    env: 'SWITCHBOARD_TLS_CERT',
  }),
  tlsKey: meta(Type.String(), {
    description: 'PEM private key of tlsCert.',
    defaultText: 'none',
    flag: 'tls-key',
    arg: 'FILE',
    env: 'SWITCHBOARD_TLS_KEY',
  }),
  workers: meta(Type.Integer({ minimum: 1, maximum: MAX_WORKERS }), {
    description:
      `Processes on this box, each a node of the cluster, sharing the port, 1–${MAX_WORKERS}; 1 is one ` +
      `process, no primary. More than 1 needs --engine redis or nats.`,
    details: '[scaling.md](scaling.md#several-processes-per-box).',
    defaultText: 'one per core with redis or nats; 1 with memory',
    flag: 'workers',
    arg: 'N',
    env: 'SWITCHBOARD_WORKERS',
  }),
  workerScheduling: meta(literals(['none', 'rr']), {
    default: 'none',
    description:
      'none: every worker accepts on the shared socket (the kernel picks); rr: the primary accepts and hands ' +
      'connections out in turn (even, costs it CPU).',
    expect: 'rr or none',
    flag: 'worker-scheduling',
    arg: 'S',
    env: 'SWITCHBOARD_WORKER_SCHEDULING',
  }),
  logLevel: meta(literals(LOG_LEVELS), {
    default: 'info',
    description: 'trace, debug, info, warn, error, fatal or silent.',
    details: '[Logs](#logs).',
    expect: `one of ${LOG_LEVELS.join(', ')}`,
    label: 'log level',
    lowercase: true,
    flag: 'log-level',
    arg: 'LEVEL',
    env: 'SWITCHBOARD_LOG_LEVEL',
  }),
  logFormat: meta(literals(['json', 'pretty']), {
    description: 'json (one object per line) or pretty (readable lines).',
    defaultText: '`json`; `pretty` when stdout is a TTY',
    flag: 'log-format',
    arg: 'FMT',
    env: 'SWITCHBOARD_LOG_FORMAT',
  }),
  admin: meta(Type.Boolean({ default: true }), {
    description: 'Serve the /admin dashboard; --no-admin (config admin: false) turns it off.',
    details: '[The dashboard](#the-dashboard-admin).',
    flag: 'no-admin',
    negates: true,
    env: 'SWITCHBOARD_ADMIN',
  }),
  adminSecret: meta(Type.String({ minLength: 16 }), {
    description: 'The /admin dashboard takes this secret (Authorization: admin S) instead of the API key.',
    defaultText: 'none',
    secret: true,
    flag: 'admin-secret',
    arg: 'S',
    env: 'SWITCHBOARD_ADMIN_SECRET',
  }),
  demo: meta(Type.Boolean({ default: true }), {
    description:
      'Serve the demo chat page on / (when the chat namespace exists); --no-demo (config demo: false) turns it off:' +
      ' / answers 404.',
    flag: 'no-demo',
    negates: true,
    env: 'SWITCHBOARD_DEMO',
  }),
  config: meta(Type.String(), {
    description: 'JSON file of options: any key of this table and the server options.',
    defaultText: 'none',
    flag: 'config',
    arg: 'FILE',
    env: 'SWITCHBOARD_CONFIG',
    noFile: true,
  }),
  jwtSecret: meta(Type.String(), {
    description:
      "Sets jwt.secret (HS256, at least 32 characters), keeping the config file's other jwt options; see " +
      'switchboard token.',
    defaultText: 'none',
    secret: true,
    env: 'SWITCHBOARD_JWT_SECRET',
    noFile: true,
  }),
  webhookUrl: meta(Type.String(), {
    description: 'Adds a webhook: lifecycle events are POSTed there, signed with --webhook-secret (docs/webhooks.md).',
    defaultText: 'none',
    flag: 'webhook',
    arg: 'URL',
    env: 'SWITCHBOARD_WEBHOOK_URL',
    noFile: true,
  }),
  webhookSecret: meta(Type.String(), {
    description: 'The whsec_… secret of --webhook.',
    defaultText: 'none',
    secret: true,
    flag: 'webhook-secret',
    arg: 'S',
    env: 'SWITCHBOARD_WEBHOOK_SECRET',
    noFile: true,
  }),
  pusherApps: meta(Type.Array(Type.String()), {
    description:
      "Serves a Pusher Channels app, ID:KEY:SECRET (repeat for several); the config file's pusher.apps with the " +
      'same id give its other options (docs/pusher.md).',
    defaultText: 'none',
    secret: true,
    flag: 'pusher-app',
    arg: 'ID:KEY:SECRET',
    env: 'SWITCHBOARD_PUSHER_APPS',
    noFile: true,
  }),
  maxMessageSize: server('maxMessageSize', { env: 'SWITCHBOARD_MAX_MESSAGE_SIZE' }),
  maxConnections: server('maxConnections', { env: 'SWITCHBOARD_MAX_CONNECTIONS' }),
  nodeName: server('nodeName', { env: 'SWITCHBOARD_NODE_NAME' }),
  allowedOrigins: server('allowedOrigins', { env: 'SWITCHBOARD_ALLOWED_ORIGINS' }),
  protectMetrics: server('protectMetrics', {
    defaultText: '`false` on a loopback host; `"apiKey"` on any other',
    details: 'See [Metrics](#metrics).',
  }),
  namespaces: server('namespaces', { defaultText: "the demo's `chat` without a config file, else `{}`" }),
  ...serverRest(),
} satisfies TProperties;

/** The server options serve takes as they are (config file only), after the ones given flags above. */
function serverRest(): Record<string, ServeOptionSchema> {
  const named = new Set([
    'apiKey',
    'allowAnonymous',
    'engine',
    'maxMessageSize',
    'maxConnections',
    'nodeName',
    'allowedOrigins',
    'protectMetrics',
    'namespaces',
  ]);
  const rest: Record<string, ServeOptionSchema> = {};
  for (const key of Object.keys(SERVER_OPTION_PROPERTIES) as ServerOptionKey[]) {
    if (!named.has(key) && !SERVER_OPTION_PROPERTIES[key].embedOnly) rest[key] = server(key);
  }
  return rest;
}

/** The server options' keys as serve passes them on (the CLI's `engine` is its own). */
export const SERVER_KEYS: ReadonlySet<string> = new Set(
  Object.keys(SERVER_OPTION_PROPERTIES).filter(
    (key) => key !== 'engine' && !SERVER_OPTION_PROPERTIES[key as ServerOptionKey].embedOnly,
  ),
);

export const serveOption = (key: string): ServeOptionSchema | undefined =>
  (SERVE_OPTIONS as Record<string, ServeOptionSchema>)[key];
