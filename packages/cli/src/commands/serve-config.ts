import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Type } from '@sinclair/typebox';
import {
  compileOptionsCheck,
  parsePusherApp,
  type JwtOptions,
  type PusherAppOptions,
  type ServerOptions,
} from '@switchboard/server';
import { resolveNatsEngineOptions } from '@switchboard/engine-nats';
import { parseRedisUrl } from '@switchboard/engine-redis';
import { UsageError } from '../usage-error.js';
import {
  MAX_WORKERS,
  SERVE_OPTIONS,
  SERVER_KEYS,
  serveOption,
  type LOG_LEVELS,
  type ServeOptionSchema,
} from './serve-options.js';
import { closestKey } from './closest-key.js';

/** Which engine `serve` builds: the embedded memory one, or Redis or NATS shared by every node. */
export type EngineChoice =
  | { type: 'memory' }
  | { type: 'redis'; urls: string[]; prefix?: string }
  | { type: 'nats'; urls: string[]; prefix?: string; replicas?: number; storage?: 'file' | 'memory' };

/** What `serve` runs with: where to listen, the engine, and the server's options. */
export interface ServeConfig {
  port: number;
  host: string;
  engine: EngineChoice;
  server: ServerOptions;
  /** PEM files for HTTPS (HTTP/2 and HTTP/1.1 by ALPN) and wss://; plain HTTP without. */
  tls?: { cert: string; key: string };
  /** Processes on this box, each a node of the cluster; 1 = one process, no primary. */
  workers: number;
  /**
   * How workers share the port: `none` (default), every worker accepts on the shared socket; `rr`, the primary accepts
   * and hands connections out in turn (even, costs CPU in the primary).
   */
  workerScheduling: WorkerScheduling;
  log: { level: (typeof LOG_LEVELS)[number]; format: 'json' | 'pretty' | undefined };
  /** The /admin dashboard, with its own secret or the API key; false: off. */
  admin: false | { secret: string | undefined };
  /** The demo page on / (only where its `chat` namespace exists). */
  demo: boolean;
  /** Whether protectMetrics was set (else serve chooses by host). */
  protectMetricsSet: boolean;
}

type WorkerScheduling = 'rr' | 'none';

/** The namespace the demo page uses; it is served only where this namespace exists. */
export const DEMO_NAMESPACE = 'chat';

/** The demo's namespace: history, presence with join/leave, and client publishing. */
const DEMO_NAMESPACES = Object.freeze({
  [DEMO_NAMESPACE]: { history: { size: 100, ttlMs: 3_600_000 }, presence: true, joinLeave: true, allowPublish: true },
});

const HELP_HINT = 'see switchboard serve --help';
const checkServeOptions = compileOptionsCheck(Type.Partial(Type.Object(SERVE_OPTIONS)));
const entries = Object.entries(SERVE_OPTIONS) as [string, ServeOptionSchema][];

/** parseArgs' table, from the schema: one flag per option that has one, plus --help. */
const SERVE_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(
    entries
      .filter(([, s]) => s.flag)
      .map(([, s]) => [
        s.flag!,
        { type: s.type === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: s.type === 'array' },
      ]),
  ),
  help: { type: 'boolean', short: 'h' },
};

/** A flag's or variable's text as the option's type: digits for integers, true/false for booleans, commas for lists. */
function fromText(schema: ServeOptionSchema, raw: string, name: string, list: 'comma' | 'one'): unknown {
  if (schema.type === 'integer') {
    if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be a non-negative integer, got "${raw}"`, HELP_HINT);
    return Number(raw);
  }
  if (schema.type === 'boolean') {
    if (!['true', 'false', '1', '0'].includes(raw))
      throw new UsageError(`${name} must be true or false, got "${raw}"`, HELP_HINT);
    return raw === 'true' || raw === '1';
  }
  if (schema.type === 'array')
    return list === 'comma'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [raw];
  return schema.lowercase ? raw.toLowerCase() : raw;
}

/** The layers' values by key, and where each came from (for messages). */
interface Layer {
  values: Record<string, unknown>;
  from: Record<string, string>;
}

function fromFlags(argv: string[]): Layer & { help: boolean } {
  const { values } = parseArgs({ args: argv, options: SERVE_FLAGS, strict: true, allowPositionals: false });
  const layer: Layer = { values: {}, from: {} };
  for (const [key, schema] of entries) {
    const given =
      schema.flag === undefined
        ? undefined
        : (values as Record<string, string | string[] | boolean | undefined>)[schema.flag];
    if (given === undefined) continue;
    const name = `--${schema.flag}`;
    layer.values[key] =
      typeof given === 'boolean'
        ? !schema.negates
        : Array.isArray(given)
          ? given
          : fromText(schema, given, name, 'one');
    layer.from[key] = name;
  }
  return { ...layer, help: values.help === true };
}

/** Environment variables, each overriding the config file; an empty one is unset. */
function fromEnv(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = { values: {}, from: {} };
  for (const [key, schema] of entries) {
    const raw = schema.env === undefined ? undefined : env[schema.env];
    if (raw === undefined || raw === '') continue;
    layer.values[key] = fromText(schema, raw, schema.env!, 'comma');
    layer.from[key] = schema.env!;
  }
  return layer;
}

function readConfigFile(path: string): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --config ${path}: ${(error as Error).message}`, 'check the path');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  } catch (error) {
    throw new UsageError(
      `--config ${path} is not a JSON object: ${(error as Error).message}`,
      'the file is one JSON object of options: docs/operations.md#config-file',
    );
  }
  const values = parsed as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    const schema = serveOption(key);
    if (schema && !schema.noFile) continue;
    if (schema?.noFile)
      throw new UsageError(
        `--config ${path}: "${key}" is not a config-file option`,
        `set it with ${[schema.flag && `--${schema.flag}`, schema.env].filter(Boolean).join(' or ')}`,
      );
    if (['hooks', 'codecs', 'nodeId'].includes(key))
      throw new UsageError(
        `--config ${path}: unknown option "${key}"`,
        'it can only be set when embedding the server: docs/server-api.md',
      );
    const near = closestKey(key, Object.keys(SERVE_OPTIONS));
    throw new UsageError(
      `--config ${path}: unknown option "${key}"`,
      `${near ? `did you mean "${near}"? ` : ''}every key: docs/operations.md#config-file`,
    );
  }
  return { values, from: Object.fromEntries(Object.keys(values).map((k) => [k, `--config ${path}`])) };
}

/**
 * Layers the configuration: defaults < config file < SWITCHBOARD_* env < flags,
 * validated as one object against the schema. With no config file, serve runs the
 * demo: the `chat` namespace and anonymous clients. With one, its `namespaces` and
 * `allowAnonymous` (default false) apply. `help` is set when --help was given.
 */
export function loadServeConfig(argv: string[], env: NodeJS.ProcessEnv): ServeConfig | { help: true } {
  const flags = fromFlags(argv);
  if (flags.help) return { help: true };
  const environment = fromEnv(env);
  const path = (flags.values.config ?? environment.values.config) as string | undefined;
  const file = path
    ? readConfigFile(path)
    : { values: { namespaces: DEMO_NAMESPACES, allowAnonymous: true }, from: {} };
  const merged: Record<string, unknown> = { ...file.values, ...environment.values, ...flags.values };
  const from = { ...file.from, ...environment.from, ...flags.from };
  const bad = checkServeOptions(merged);
  if (bad) {
    const label = serveOption(bad.key)?.label;
    throw new UsageError(
      label ? bad.message.replace(bad.key, label) : bad.message,
      `${from[bad.key] ? `from ${from[bad.key]}; ` : ''}${HELP_HINT}`,
    );
  }
  const value = <T>(key: string): T => (merged[key] ?? serveOption(key)?.default) as T;
  const server: ServerOptions = {};
  for (const key of SERVER_KEYS) if (merged[key] !== undefined) (server as Record<string, unknown>)[key] = merged[key];
  server.jwt = withSecret(merged.jwt as JwtOptions | undefined, merged.jwtSecret as string | undefined);
  server.webhooks = withFlagWebhook(merged);
  server.pusher = withFlagPusherApps(
    merged.pusher as ServerOptions['pusher'],
    merged.pusherApps as string[] | undefined,
  );
  const { tlsCert, tlsKey } = merged;
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new UsageError(
      'TLS needs both a certificate and a key',
      'give --tls-cert and --tls-key, or tlsCert and tlsKey',
    );
  const tls = tlsCert === undefined ? undefined : { cert: tlsCert as string, key: tlsKey as string };
  const engine = engineChoice(merged);
  return {
    port: value('port'),
    host: value('host'),
    engine,
    server,
    tls,
    workers: workerCount(merged.workers as number | undefined, engine),
    workerScheduling: value('workerScheduling'),
    log: { level: value('logLevel'), format: merged.logFormat as 'json' | 'pretty' | undefined },
    admin: value<boolean>('admin') ? { secret: merged.adminSecret as string | undefined } : false,
    demo: value('demo'),
    protectMetricsSet: merged.protectMetrics !== undefined,
  };
}

/**
 * One worker per core on a shared engine; one process on the memory engine, where
 * more would be islands: each worker its own history, presence and subscribers.
 */
function workerCount(value: number | undefined, engine: EngineChoice): number {
  if (value === undefined) return Math.min(MAX_WORKERS, engine.type === 'memory' ? 1 : availableParallelism());
  if (engine.type === 'memory' && value > 1) {
    throw new UsageError(
      `--workers ${String(value)} needs a shared engine: with the memory engine each worker would be an island ` +
        `(clients on different workers would not see each other's publications, history or presence); use ` +
        `--engine redis or --engine nats, or --workers 1`,
    );
  }
  return value;
}

function engineChoice(merged: Record<string, unknown>): EngineChoice {
  const type = (merged.engine ?? 'memory') as EngineChoice['type'];
  const redisUrls = merged.redisUrls as string[] | undefined;
  const natsUrls = merged.natsUrls as string[] | undefined;
  if (redisUrls && type !== 'redis')
    throw new UsageError(`a Redis URL was given but the engine is ${type}: add --engine redis`);
  if (natsUrls && type !== 'nats')
    throw new UsageError(`a NATS URL was given but the engine is ${type}: add --engine nats`);
  const natsOnly = ['natsPrefix', 'natsReplicas', 'natsStorage'].filter((key) => merged[key] !== undefined);
  if (natsOnly.length > 0 && type !== 'nats')
    throw new UsageError(`${natsOnly.join(', ')} apply to the NATS engine only: add --engine nats`);
  if (type === 'memory') return { type };
  if (type === 'nats') return natsChoice(merged, natsUrls);
  const prefix = merged.redisPrefix as string | undefined;
  const list = redisUrls && redisUrls.length > 0 ? redisUrls : ['redis://127.0.0.1:6379'];
  for (const url of list) {
    try {
      parseRedisUrl(url);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return { type, urls: list, prefix };
}

function natsChoice(merged: Record<string, unknown>, urls: string[] | undefined): EngineChoice {
  const list = urls && urls.length > 0 ? urls : ['nats://127.0.0.1:4222'];
  for (const url of list) {
    if (!/^(nats|tls):\/\/[^\s/]+\/?$/.test(url))
      throw new UsageError(`a NATS URL looks like nats://host:4222 or tls://host:4222, got "${url}"`);
  }
  const prefix = merged.natsPrefix as string | undefined;
  const { natsReplicas: replicas, natsStorage: storage } = merged;
  try {
    resolveNatsEngineOptions({
      servers: list,
      prefix,
      replicas: replicas as number | undefined,
      storage: storage as 'file' | 'memory' | undefined,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    type: 'nats',
    urls: list,
    prefix,
    replicas: replicas as number | undefined,
    storage: storage as 'file' | 'memory' | undefined,
  };
}

/** SWITCHBOARD_JWT_SECRET sets `jwt.secret`, keeping the config file's other `jwt` options (issuer, cookie…). */
function withSecret(jwt: JwtOptions | undefined, secret: string | undefined): JwtOptions | undefined {
  return secret ? { ...jwt, secret } : jwt;
}

/**
 * `--webhook URL --webhook-secret S` (or SWITCHBOARD_WEBHOOK_URL and _SECRET) adds one webhook to the config file's.
 */
function withFlagWebhook(merged: Record<string, unknown>): ServerOptions['webhooks'] {
  const list = merged.webhooks as ServerOptions['webhooks'];
  const { webhookUrl: url, webhookSecret: secret } = merged as { webhookUrl?: string; webhookSecret?: string };
  if (url === undefined && secret === undefined) return list;
  if (url === undefined || secret === undefined)
    throw new UsageError(
      'a webhook needs both a URL and a secret',
      'give --webhook URL and --webhook-secret whsec_…, or SWITCHBOARD_WEBHOOK_URL and SWITCHBOARD_WEBHOOK_SECRET',
    );
  return [...(list ?? []), { url, secret }];
}

/**
 * The config file's `pusher`, with the apps of `--pusher-app` (or else SWITCHBOARD_PUSHER_APPS) merged in by id:
 * a flag's ID:KEY:SECRET keeps the file's other options for that app.
 */
function withFlagPusherApps(file: ServerOptions['pusher'], given: string[] | undefined): ServerOptions['pusher'] {
  if (given === undefined || given.length === 0) return file;
  const apps = new Map<string, PusherAppOptions>((file?.apps ?? []).map((app) => [app.id, app]));
  for (const text of given) {
    let app: PusherAppOptions;
    try {
      app = parsePusherApp(text.trim());
    } catch (error) {
      throw new UsageError(`--pusher-app: ${(error as Error).message}`, HELP_HINT);
    }
    apps.set(app.id, { ...apps.get(app.id), ...app });
  }
  return { ...file, apps: [...apps.values()] };
}
