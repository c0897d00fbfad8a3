import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createServer, redactUrl, type SwitchboardServer } from '@switchboard/server';
import { EngineUnavailableError } from '@switchboard/engine';
import { natsEngine, redactNatsUrl } from '@switchboard/engine-nats';
import { redactRedisUrl, redisEngine } from '@switchboard/engine-redis';
import { StartupError, UsageError, integerOption } from '../usage-error.js';
import { adminRoute } from './admin-route.js';
import { MAX_WORKERS, loadServeConfig, type EngineChoice } from './serve-config.js';
import { openFileLimit, openFileWarning } from './open-file-limit.js';
import { parseLogFormat, parseLogLevel, serveLogger } from './serve-logger.js';
import { runPrimary } from './serve-primary.js';
import { linkWorker } from './serve-worker-link.js';
import { GENERATED_KEY_ENV, WORKER_SLOT_ENV, type ToPrimary } from './worker-ipc.js';

const HELP = `Usage: switchboard serve [options]

Runs the real-time server: WebSocket clients on /connection/websocket, the HTTP
API on /api/*, /health, /metrics, and the demo page on /. With the embedded
memory engine (the default) it is one node; with --engine redis (or nats), every
node on the same Redis (or NATS) is one cluster, and any node accepts any connection.

Options:
  --port N            port to listen on (default 8000; 0 picks a free one)
  --host ADDR         address to bind (default 127.0.0.1)
  --api-key KEY       key for the HTTP API (Authorization: apikey KEY); generated and printed if absent
  --allow-anonymous   accept clients without credentials (on by default without --config: the demo)
  --engine NAME       memory (default), redis or nats
  --redis-url URL     a Redis for --engine redis (default redis://127.0.0.1:6379); repeat it to shard
                      channels over several instances; redis-sentinel://host:26379,host2/master works too
  --nats-url URL      a NATS server for --engine nats (default nats://127.0.0.1:4222); repeat it to give
                      a cluster's seed servers; JetStream must be enabled
  --nats-replicas N   copies of each stream and presence bucket (default 1; 3 on a 3-server cluster)
  --nats-storage S    file (default: history survives a NATS restart) or memory
  --tls-cert FILE     PEM certificate (chain): serve HTTPS and wss://, HTTP/2 and HTTP/1.1 by ALPN, with
                      WebSocket over HTTP/2 (RFC 8441); needs --tls-key
  --tls-key FILE      PEM private key of --tls-cert
  --log-level LEVEL   trace, debug, info (default), warn, error, fatal or silent
  --log-format FMT    json (default: one JSON object per line) or pretty (the default on a TTY)
  --workers N         processes on this box, each a node of the cluster, sharing the port (default: one per
                      core with --engine redis or nats; 1 with the memory engine, which refuses more: each
                      worker would be an island); 1 = one process, no primary; max ${MAX_WORKERS}
  --worker-scheduling S  none (default: every worker accepts on the shared socket, the kernel picks) or rr (the
                      primary accepts and hands connections out in turn: an even spread, for more CPU); docs/scaling.md
  --admin-secret S    the /admin dashboard takes this secret (Authorization: admin S) instead of the API key
  --no-admin          no /admin dashboard
  --pusher-app ID:KEY:SECRET  serve a Pusher Channels app (pusher-js, Laravel Echo, the Pusher server SDKs) at
                      /app/KEY and /apps/ID/; repeat it for more apps; docs/pusher.md
  --config FILE       JSON file with server options (namespaces, jwt, allowedOrigins, limits…); see docs/operations.md
  -h, --help          show this help

Environment (overrides the config file; flags override both):
  SWITCHBOARD_PORT, SWITCHBOARD_HOST, SWITCHBOARD_API_KEY, SWITCHBOARD_ALLOW_ANONYMOUS,
  SWITCHBOARD_MAX_MESSAGE_SIZE, SWITCHBOARD_NODE_NAME, SWITCHBOARD_CONFIG,
  SWITCHBOARD_ADMIN_SECRET, SWITCHBOARD_JWT_SECRET (HS256 tokens, see "switchboard token"), SWITCHBOARD_ALLOWED_ORIGINS (comma-separated),
  SWITCHBOARD_TLS_CERT, SWITCHBOARD_TLS_KEY,
  SWITCHBOARD_ENGINE, SWITCHBOARD_REDIS_URL (comma-separated), SWITCHBOARD_REDIS_PREFIX,
  SWITCHBOARD_NATS_URL (comma-separated), SWITCHBOARD_NATS_PREFIX, SWITCHBOARD_NATS_REPLICAS, SWITCHBOARD_NATS_STORAGE,
  SWITCHBOARD_WORKERS, SWITCHBOARD_WORKER_SCHEDULING, SWITCHBOARD_LOG_LEVEL,
  SWITCHBOARD_PUSHER_APPS (ID:KEY:SECRET, comma-separated)`;

/** The demo page and the client bundles it loads (the client, and the opt-in MessagePack codec), read once. */
function demoAssets(): Record<string, { type: string; body: Buffer }> {
  const require = createRequire(import.meta.url);
  return {
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(new URL('../../demo/index.html', import.meta.url)) },
    '/client.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('@switchboard/client/bundle')) },
    '/msgpack.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('@switchboard/client/bundle-msgpack')) },
  };
}

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'allow-anonymous': { type: 'boolean' },
      config: { type: 'string' },
      engine: { type: 'string' },
      'redis-url': { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'nats-url': { type: 'string', multiple: true },
      'nats-replicas': { type: 'string' },
      'nats-storage': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'admin-secret': { type: 'string' },
      'no-admin': { type: 'boolean' },
      workers: { type: 'string' },
      'worker-scheduling': { type: 'string' },
      'pusher-app': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = loadServeConfig(
    {
      port: values.port === undefined ? undefined : integerOption('port', values.port, 8000),
      host: values.host,
      apiKey: values['api-key'],
      allowAnonymous: values['allow-anonymous'],
      config: values.config,
      engine: values.engine,
      redisUrls: values['redis-url'],
      natsUrls: values['nats-url'],
      natsReplicas: values['nats-replicas'] === undefined ? undefined : integerOption('nats-replicas', values['nats-replicas'], 1),
      natsStorage: values['nats-storage'],
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      workers: values.workers === undefined ? undefined : integerOption('workers', values.workers, 1),
      workerScheduling: values['worker-scheduling'],
      pusherApps: values['pusher-app'],
    },
    process.env,
  );
  const logOptions = {
    level: parseLogLevel(values['log-level'] ?? (process.env.SWITCHBOARD_LOG_LEVEL || undefined)),
    format: parseLogFormat(values['log-format'], process.stdout.isTTY === true),
  };
  const slotEnv = cluster.isWorker ? process.env[WORKER_SLOT_ENV] : undefined;
  if (config.workers > 1 && slotEnv === undefined) {
    // The primary: forks the workers, which run this same command and take the branch below.
    const generatedKey = config.server.apiKey === undefined ? randomBytes(24).toString('base64url') : undefined;
    return runPrimary({ config, log: serveLogger({ ...logOptions, nodeId: 'primary' }), generatedKey });
  }
  const slot = slotEnv === undefined ? undefined : Number(slotEnv);
  // A worker is a node of its own; its name is stable across restarts of its slot.
  if (slot !== undefined) config.server.nodeName = `${config.server.nodeName ?? hostname()}-w${slot}`;
  const nodeId = config.server.nodeId ?? randomUUID().slice(0, 8);
  const log = serveLogger({ ...logOptions, nodeId });
  const generatedKey = config.server.apiKey === undefined || process.env[GENERATED_KEY_ENV] === '1';
  const apiKey = config.server.apiKey ?? randomBytes(24).toString('base64url');
  let server;
  try {
    const choice = config.engine;
    const engine =
      choice.type === 'redis'
        ? redisEngine({ urls: choice.urls, prefix: choice.prefix })
        : choice.type === 'nats'
          ? natsEngine({ servers: choice.urls, prefix: choice.prefix, replicas: choice.replicas, storage: choice.storage, idempotencyWindowMs: config.server.idempotencyWindowMs })
          : undefined;
    server = createServer({ ...config.server, nodeId, apiKey, engine }, log);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (slot !== undefined) linkWorker(server);
  const assets = demoAssets();
  const adminSecret = values['admin-secret'] ?? process.env.SWITCHBOARD_ADMIN_SECRET;
  const admin = values['no-admin'] ? undefined : adminRoute({ apiKey, adminSecret, handleApi: (req, res) => server.handleRequest(req, res) });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (server.handleRequest(req, res) || admin?.(req, res)) return;
    const asset = req.method === 'GET' ? assets[req.url?.split('?')[0] ?? ''] : undefined;
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache' }).end(asset.body);
  };
  let http;
  if (config.tls) {
    let cert: Buffer, key: Buffer;
    try {
      cert = readFileSync(config.tls.cert);
      key = readFileSync(config.tls.key);
    } catch (error) {
      throw new UsageError(`cannot read the TLS certificate or key: ${(error as Error).message}`);
    }
    // HTTP/2 and HTTP/1.1 by ALPN; the compatibility handler serves both (the HTTP/2 request types are its structural twins).
    http = createSecureServer({ cert, key, allowHTTP1: true, settings: { enableConnectProtocol: true } }, handler as never);
    server.attachHttp2(http);
  } else {
    http = createHttpServer(handler);
    server.attach(http, { exclusive: true });
  }
  try {
    await server.start();
  } catch (error) {
    // Redis or NATS unreachable (or NATS without JetStream) at start-up: say so plainly and exit 1 (a process manager retries).
    if (error instanceof EngineUnavailableError) throw new StartupError(error.message);
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const address = http.address() as { address: string; port: number; family: string };
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = config.tls ? 'https' : 'http';
  const base = `${scheme}://${host}:${address.port}`;
  const namespaces = Object.keys(config.server.namespaces ?? {});
  const banner = `switchboard serve: node ${server.nodeId}, ${describeEngine(config.engine)}
  demo page     ${base}/
  websocket     ${config.tls ? 'wss' : 'ws'}://${host}:${address.port}${server.options.websocketPath}  (subprotocols ${server.options.codecs.map((c) => c.subprotocol).join(', ')})
  HTTP API      ${base}/api/<method>  (Authorization: apikey ${generatedKey ? apiKey : '<the key you set>'})${generatedKey ? '  [generated: set --api-key or SWITCHBOARD_API_KEY to keep it]' : ''}
  http streams  ${base}${server.options.httpTransportsPath || '(off)'}/{sse,stream,poll}  (docs/transports.md)
  admin         ${admin ? `${base}/admin  (${adminSecret ? 'admin secret' : 'API key'})` : 'off'}
  health        ${base}/health/ready  (liveness: /health/live)
  namespaces    ${namespaces.length > 0 ? namespaces.join(', ') : '(none: every subscribe gets 102)'}
  proxy         ${describeProxy(server)}
  jwt           ${describeJwt(server)}
  anonymous     ${describeAnonymous(server)}
  pusher        ${server.options.pusher ? `${config.tls ? 'wss' : 'ws'}://${host}:${address.port}/app/<key>, REST ${base}/apps/<id>/  (apps ${server.options.pusher.apps.map((a) => a.id).join(', ')}; docs/pusher.md)` : 'off (--pusher-app ID:KEY:SECRET)'}`;
  // A worker's banner is printed once by the primary, when every worker listens.
  if (slot === undefined) console.log(banner);

  const fdLimit = openFileLimit();
  const fdWarning = openFileWarning(fdLimit, server.options.maxConnections);
  if (fdWarning) {
    log.warn({ openFileLimit: fdLimit, maxConnections: server.options.maxConnections }, fdWarning);
    if (process.stdout.isTTY !== true) console.error(`switchboard: warning: ${fdWarning}`);
  }
  log.info({ url: base, websocketPath: server.options.websocketPath, engine: config.engine.type, logLevel: log.level, ...(slot !== undefined && { worker: slot, pid: process.pid }) }, 'listening');
  if (slot !== undefined) process.send?.({ sb: 'listening', nodeId: server.nodeId, name: server.options.nodeName, banner } satisfies ToPrimary);

  // A staggered drain (1012 + a reconnect-after window), then exit; a second signal exits at once.
  const stop = (signal: string) => {
    const { drainBatchSize, drainIntervalMs } = server.options;
    const drainMs = Math.ceil(server.nodeInfo().connections / drainBatchSize) * drainIntervalMs;
    log.info({ signal }, 'shutting down: drain, then exit');
    void server
      .drain()
      .then(() => server.close())
      .then(() =>
        http.close(() => {
          log.info({}, 'stopped');
          log.flush();
          process.exit(0);
        }),
      );
    setTimeout(() => process.exit(0), drainMs + 5000).unref();
    process.once('SIGINT', () => process.exit(0));
    process.once('SIGTERM', () => process.exit(0));
  };
  // A worker leaves SIGINT to the primary: Ctrl-C signals the whole process group, and the primary forwards SIGTERM.
  if (slot === undefined) process.once('SIGINT', () => stop('SIGINT'));
  else process.on('SIGINT', () => {});
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The banner's proxy line: which events go to the backend, and where. */
function describeProxy(server: SwitchboardServer): string {
  const proxy = server.options.proxy;
  if (!proxy) return 'off';
  const events = Object.entries(proxy.endpoints).map(([event, e]) => `${event} → ${redactUrl(e!.url.href)}`);
  return `${events.join(', ')} (at most ${proxy.maxInFlight} requests in flight)`;
}

function describeAnonymous(server: SwitchboardServer): string {
  const o = server.options;
  if (o.allowAnonymous) return 'allowed';
  if (o.proxy?.endpoints.connect) return 'refused unless the backend accepts (connect proxy)';
  return `refused${o.jwt ? '' : ' (clients need a JWT: set SWITCHBOARD_JWT_SECRET or jwt in the config file)'}`;
}

function describeEngine(engine: EngineChoice): string {
  if (engine.type === 'memory') return 'memory engine';
  if (engine.type === 'nats') return `nats engine (${engine.urls.map(redactNatsUrl).join(', ')}; ${engine.replicas ?? 1} replica(s), ${engine.storage ?? 'file'} storage)`;
  const urls = engine.urls.map(redactRedisUrl);
  return `redis engine (${urls.length > 1 ? `${urls.length} shards: ` : ''}${urls.join(', ')})`;
}

/** The banner's jwt line: accepted algorithms, and where else than `connect` a token may come from. */
function describeJwt(server: SwitchboardServer): string {
  const jwt = server.options.jwt;
  if (!jwt) return 'off';
  const from = [jwt.cookie && `cookie ${jwt.cookie}`, jwt.queryParam && `query ?${jwt.queryParam}=`].filter(Boolean);
  return `${jwt.algorithms.join(', ')}; token in connect${from.map((f) => `, ${f}`).join('')}`;
}
