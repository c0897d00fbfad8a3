import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parsePusherApp, type JwtOptions, type PusherAppOptions, type ServerOptions } from '@switchboard/server';
import { resolveNatsEngineOptions } from '@switchboard/engine-nats';
import { parseRedisUrl } from '@switchboard/engine-redis';
import { UsageError } from '../usage-error.js';

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
  /** How workers share the port: `none` (default), every worker accepts on the shared socket; `rr`, the primary accepts and hands connections out in turn (even, costs CPU in the primary). */
  workerScheduling: WorkerScheduling;
}

export type WorkerScheduling = 'rr' | 'none';

/** At most this many workers: beyond a few per core they only cost memory. */
export const MAX_WORKERS = 64;

/** The demo's namespace: history, presence with join/leave, and client publishing. */
export const DEMO_NAMESPACES = Object.freeze({
  chat: { history: { size: 100, ttlMs: 3_600_000 }, presence: true, joinLeave: true, allowPublish: true },
});

const SCALARS = ['allowAnonymous', 'apiKey', 'personalNamespace', 'websocketPath', 'maxMessageSize', 'maxApiBodySize', 'apiBodyTimeoutMs', 'maxSubscriptionsPerConnection', 'maxPendingCommands', 'connectTimeoutMs', 'rpcTimeoutMs', 'idempotencyWindowMs', 'presenceTtlMs', 'tokenGraceMs', 'pingIntervalMs', 'pongTimeoutMs', 'maxSendBufferBytes', 'acceptRate', 'drainBatchSize', 'drainIntervalMs', 'drainReconnectWindowMs', 'positionCheckIntervalMs', 'nodeName', 'httpTransportsPath', 'forwardTimeoutMs', 'readinessTimeoutMs', 'protectMetrics', 'commandRate', 'maxConnectionsPerUser', 'maxConnections', 'maxChannelsPerNode', 'compression'] as const;

/** Environment variables, each overriding the config file: SWITCHBOARD_PORT, SWITCHBOARD_API_KEY… */
const ENV: Record<string, { key: string; type: 'string' | 'integer' | 'boolean' | 'list' }> = {
  SWITCHBOARD_PORT: { key: 'port', type: 'integer' },
  SWITCHBOARD_HOST: { key: 'host', type: 'string' },
  SWITCHBOARD_API_KEY: { key: 'apiKey', type: 'string' },
  SWITCHBOARD_ALLOW_ANONYMOUS: { key: 'allowAnonymous', type: 'boolean' },
  SWITCHBOARD_MAX_MESSAGE_SIZE: { key: 'maxMessageSize', type: 'integer' },
  SWITCHBOARD_NODE_NAME: { key: 'nodeName', type: 'string' },
  SWITCHBOARD_MAX_CONNECTIONS: { key: 'maxConnections', type: 'integer' },
  SWITCHBOARD_ALLOWED_ORIGINS: { key: 'allowedOrigins', type: 'list' },
  SWITCHBOARD_ENGINE: { key: 'engine', type: 'string' },
  SWITCHBOARD_REDIS_URL: { key: 'redisUrls', type: 'list' },
  SWITCHBOARD_REDIS_PREFIX: { key: 'redisPrefix', type: 'string' },
  SWITCHBOARD_NATS_URL: { key: 'natsUrls', type: 'list' },
  SWITCHBOARD_NATS_PREFIX: { key: 'natsPrefix', type: 'string' },
  SWITCHBOARD_NATS_REPLICAS: { key: 'natsReplicas', type: 'integer' },
  SWITCHBOARD_NATS_STORAGE: { key: 'natsStorage', type: 'string' },
  SWITCHBOARD_TLS_CERT: { key: 'tlsCert', type: 'string' },
  SWITCHBOARD_TLS_KEY: { key: 'tlsKey', type: 'string' },
  SWITCHBOARD_WORKERS: { key: 'workers', type: 'integer' },
  SWITCHBOARD_WORKER_SCHEDULING: { key: 'workerScheduling', type: 'string' },
};

/** Config-file keys that are objects or lists, given to the server as they are. */
const STRUCTURED = ['namespaces', 'jwt', 'allowedOrigins', 'proxy', 'apiCorsOrigins', 'pusher'] as const;

/** Config-file keys for `serve` itself. */
const SERVE_KEYS = ['port', 'host', 'tlsCert', 'tlsKey', 'engine', 'redisUrls', 'redisPrefix', 'natsUrls', 'natsPrefix', 'natsReplicas', 'natsStorage', 'workers', 'workerScheduling'];

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (type === 'string') out[key] = raw;
    else if (type === 'list') out[key] = raw.split(',').map((s) => s.trim()).filter(Boolean);
    else if (type === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(raw)) throw new UsageError(`${name} must be true or false, got "${raw}"`);
      out[key] = raw === 'true' || raw === '1';
    } else {
      if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be a non-negative integer, got "${raw}"`);
      out[key] = Number(raw);
    }
  }
  return out;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --config ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--config ${path} is not a JSON object: ${(error as Error).message}`);
  }
}

/**
 * Layers the configuration: defaults < config file < SWITCHBOARD_* env < flags.
 * With no config file, serve runs the demo: the `chat` namespace and anonymous
 * clients. With one, its `namespaces` and `allowAnonymous` (default false) apply.
 */
export function loadServeConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): ServeConfig {
  const path = (flags.config as string | undefined) ?? env.SWITCHBOARD_CONFIG;
  const file = path ? readConfigFile(path) : { namespaces: DEMO_NAMESPACES, allowAnonymous: true };
  for (const key of Object.keys(file)) {
    if (!(SCALARS as readonly string[]).includes(key) && ![...SERVE_KEYS, ...STRUCTURED].includes(key)) throw new UsageError(`--config ${path}: unknown option "${key}"`);
  }
  const merged: Record<string, unknown> = { port: 8000, host: '127.0.0.1', ...file, ...fromEnv(env) };
  for (const [key, value] of Object.entries(flags)) if (value !== undefined && key !== 'config') merged[key] = value;
  const port = merged.port;
  if (!(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)) throw new UsageError(`port must be 0–65535, got ${String(port)}`);
  const server: ServerOptions = {
    namespaces: merged.namespaces as ServerOptions['namespaces'],
    jwt: withEnvSecret(merged.jwt as JwtOptions | undefined, env.SWITCHBOARD_JWT_SECRET),
    allowedOrigins: merged.allowedOrigins as string[] | undefined,
    proxy: merged.proxy as ServerOptions['proxy'],
    apiCorsOrigins: merged.apiCorsOrigins as string[] | undefined,
    pusher: pusherApps(file.pusher as ServerOptions['pusher'], (flags.pusherApps as string[] | undefined) ?? env.SWITCHBOARD_PUSHER_APPS?.split(',').filter(Boolean)),
  };
  for (const key of SCALARS) if (merged[key] !== undefined) (server as Record<string, unknown>)[key] = merged[key];
  const { tlsCert, tlsKey } = merged;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('TLS needs both a certificate and a key: --tls-cert and --tls-key (or tlsCert and tlsKey)');
  if (tlsCert !== undefined && (typeof tlsCert !== 'string' || typeof tlsKey !== 'string')) throw new UsageError('tlsCert and tlsKey must be file paths');
  const tls = tlsCert === undefined ? undefined : { cert: tlsCert as string, key: tlsKey as string };
  const engine = engineChoice(merged);
  return { port: port as number, host: String(merged.host), engine, server, tls, workers: workerCount(merged.workers, engine), workerScheduling: workerScheduling(merged.workerScheduling) };
}

/**
 * One worker per core on a shared engine; one process on the memory engine, where
 * more would be islands: each worker its own history, presence and subscribers.
 */
function workerCount(value: unknown, engine: EngineChoice): number {
  if (value === undefined) return engine.type === 'memory' ? 1 : availableParallelism();
  if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WORKERS)) throw new UsageError(`workers must be 1–${MAX_WORKERS}, got ${String(value)}`);
  if (engine.type === 'memory' && (value as number) > 1) {
    throw new UsageError(
      `--workers ${String(value)} needs a shared engine: with the memory engine each worker would be an island (clients on different workers would not see each other's publications, history or presence); use --engine redis or --engine nats, or --workers 1`,
    );
  }
  return value as number;
}

function workerScheduling(value: unknown): WorkerScheduling {
  if (value === undefined) return 'none';
  if (value !== 'rr' && value !== 'none') throw new UsageError(`workerScheduling must be rr or none, got "${String(value)}"`);
  return value;
}

function engineChoice(merged: Record<string, unknown>): EngineChoice {
  const type = merged.engine ?? 'memory';
  const redisUrls = urlList(merged, 'redisUrls');
  const natsUrls = urlList(merged, 'natsUrls');
  if (type !== 'memory' && type !== 'redis' && type !== 'nats') throw new UsageError(`engine must be memory, redis or nats, got "${String(type)}"`);
  if (redisUrls && type !== 'redis') throw new UsageError(`a Redis URL was given but the engine is ${type}: add --engine redis`);
  if (natsUrls && type !== 'nats') throw new UsageError(`a NATS URL was given but the engine is ${type}: add --engine nats`);
  const natsOnly = ['natsPrefix', 'natsReplicas', 'natsStorage'].filter((key) => merged[key] !== undefined);
  if (natsOnly.length > 0 && type !== 'nats') throw new UsageError(`${natsOnly.join(', ')} apply to the NATS engine only: add --engine nats`);
  if (type === 'memory') return { type };
  if (type === 'nats') return natsChoice(merged, natsUrls);
  const prefix = merged.redisPrefix;
  if (prefix !== undefined && typeof prefix !== 'string') throw new UsageError('redisPrefix must be a string');
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

function urlList(merged: Record<string, unknown>, key: string): string[] | undefined {
  const urls = merged[key];
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) throw new UsageError(`${key} must be a list of URLs`);
  return urls as string[] | undefined;
}

function natsChoice(merged: Record<string, unknown>, urls: string[] | undefined): EngineChoice {
  const list = urls && urls.length > 0 ? urls : ['nats://127.0.0.1:4222'];
  for (const url of list) {
    if (!/^(nats|tls):\/\/[^\s/]+\/?$/.test(url)) throw new UsageError(`a NATS URL looks like nats://host:4222 or tls://host:4222, got "${url}"`);
  }
  const { natsPrefix: prefix, natsReplicas: replicas, natsStorage: storage } = merged;
  if (prefix !== undefined && typeof prefix !== 'string') throw new UsageError('natsPrefix must be a string');
  try {
    resolveNatsEngineOptions({ servers: list, prefix, replicas: replicas as number | undefined, storage: storage as 'file' | 'memory' | undefined });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { type: 'nats', urls: list, prefix, replicas: replicas as number | undefined, storage: storage as 'file' | 'memory' | undefined };
}

/**
 * The config file's `pusher`, with the apps of `--pusher-app` (or else
 * SWITCHBOARD_PUSHER_APPS) as `ID:KEY:SECRET`: an app the file has keeps its
 * other options and takes the new key and secret; others are added.
 */
function pusherApps(file: ServerOptions['pusher'], given: string[] | undefined): ServerOptions['pusher'] {
  if (given === undefined || given.length === 0) return file;
  const apps = new Map<string, PusherAppOptions>((file?.apps ?? []).map((app) => [app.id, app]));
  for (const text of given) {
    let app: PusherAppOptions;
    try {
      app = parsePusherApp(text.trim());
    } catch (error) {
      throw new UsageError(`--pusher-app: ${(error as Error).message}`);
    }
    apps.set(app.id, { ...apps.get(app.id), ...app });
  }
  return { ...file, apps: [...apps.values()] };
}

/** SWITCHBOARD_JWT_SECRET sets `jwt.secret`, keeping the config file's other `jwt` options (issuer, cookie…). */
function withEnvSecret(jwt: JwtOptions | undefined, secret: string | undefined): JwtOptions | undefined {
  return secret ? { ...jwt, secret } : jwt;
}
