import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createRequire } from 'node:module';
import { createServer, redactUrl, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import { EngineUnavailableError } from '@switchboard/engine';
import { natsEngine, redactNatsUrl } from '@switchboard/engine-nats';
import { redactRedisUrl, redisEngine } from '@switchboard/engine-redis';
import { StartupError, UsageError } from '../usage-error.js';
import { adminRoute } from './admin-route.js';
import { DEMO_NAMESPACE, loadServeConfig, type EngineChoice } from './serve-config.js';
import { renderServeHelp } from './serve-help.js';
import { openFileLimit, openFileWarning } from './open-file-limit.js';
import { serveLogger } from './serve-logger.js';
import { runPrimary } from './serve-primary.js';
import { linkWorker } from './serve-worker-link.js';
import { GENERATED_KEY_ENV, WORKER_SLOT_ENV, type ToPrimary } from './worker-ipc.js';

/** The demo page and the client bundles it loads (the client, and the opt-in MessagePack codec), read once. */
function demoAssets(): Record<string, { type: string; body: Buffer }> {
  const require = createRequire(import.meta.url);
  return {
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(new URL('../../demo/index.html', import.meta.url)) },
    '/client.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(require.resolve('@switchboard/client/bundle')),
    },
    '/msgpack.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(require.resolve('@switchboard/client/bundle-msgpack')),
    },
  };
}

export async function runServe(argv: string[]): Promise<void> {
  const config = loadServeConfig(argv, process.env);
  if ('help' in config) {
    console.log(renderServeHelp());
    return;
  }
  const logOptions = {
    level: config.log.level,
    format: config.log.format ?? (process.stdout.isTTY === true ? 'pretty' : 'json'),
  } as const;
  // /metrics is open on loopback (a local scrape, the load tools); on any other address it needs the API key unless
  // configured.
  if (!config.protectMetricsSet && !isLoopback(config.host)) config.server.protectMetrics = 'apiKey';
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
          ? natsEngine({
              servers: choice.urls,
              prefix: choice.prefix,
              replicas: choice.replicas,
              storage: choice.storage,
              idempotencyWindowMs: config.server.idempotencyWindowMs,
            })
          : undefined;
    server = createServer({ ...config.server, nodeId, apiKey, engine }, log);
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/^Switchboard server: /, ''),
      'see docs/operations.md#server-options',
    );
  }
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    tls = config.tls && { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
  } catch (error) {
    throw new UsageError(
      `cannot read the TLS certificate or key: ${(error as Error).message}`,
      'check --tls-cert and --tls-key',
    );
  }
  try {
    // Before attach(), whose own start() would otherwise fail a second time, unhandled.
    await server.start();
  } catch (error) {
    // Redis or NATS unreachable (or NATS without JetStream) at start-up: say so plainly and exit 1 (a process manager
    // retries).
    if (error instanceof EngineUnavailableError)
      throw new StartupError(
        error.message,
        'start it, or check --redis-url / --nats-url; a process manager may ' + 'retry',
      );
    throw error;
  }
  if (slot !== undefined) linkWorker(server);
  const demo = demoState(config.demo, config.server.namespaces);
  const assets = config.demo ? demoAssets() : {};
  const adminSecret = config.admin ? config.admin.secret : undefined;
  const admin = config.admin
    ? adminRoute({ apiKey, adminSecret, handleApi: (req, res) => server.handleRequest(req, res) })
    : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (server.handleRequest(req, res) || admin?.(req, res)) return;
    const path = req.url?.split('?')[0] ?? '';
    const asset = req.method === 'GET' && (path !== '/' || demo.on) ? assets[path] : undefined;
    if (!asset) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(path === '/' && demo.reason ? `no demo page: ${demo.reason}\n` : 'not found\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache' })
      .end(asset.body);
  };
  let http;
  if (tls) {
    // HTTP/2 and HTTP/1.1 by ALPN; the compatibility handler serves both (the HTTP/2 request types are its structural
    // twins).
    http = createSecureServer(
      { ...tls, allowHTTP1: true, settings: { enableConnectProtocol: true } },
      handler as never,
    );
    server.attachHttp2(http);
  } else {
    http = createHttpServer(handler);
    server.attach(http, { exclusive: true });
  }
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    // The port taken, or not ours to bind: main.ts says so in one line.
    await server.close();
    throw error;
  }
  const address = http.address() as { address: string; port: number; family: string };
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = config.tls ? 'https' : 'http';
  const base = `${scheme}://${host}:${address.port}`;
  const namespaces = Object.keys(config.server.namespaces ?? {});
  const websocketUrl = `${config.tls ? 'wss' : 'ws'}://${host}:${address.port}${server.options.websocketPath}`;
  const subprotocols = server.options.codecs.map((c) => c.subprotocol).join(', ');
  const keepIt = '  [generated: set --api-key or SWITCHBOARD_API_KEY to keep it]';
  const keyShown = generatedKey ? `${apiKey})${keepIt}` : '<the key you set>)';
  const shownKey = generatedKey ? apiKey : undefined;
  const banner = `switchboard serve: node ${server.nodeId}, ${describeEngine(config.engine)}
  demo page     ${base}/${demo.on ? '' : `  (off: ${demo.reason})`}
  websocket     ${websocketUrl}  (subprotocols ${subprotocols})
  HTTP API      ${base}/api/<method>  (Authorization: apikey ${keyShown}
${tryIt({ base: `${scheme}://${reachable(address)}`, apiKey: shownKey, namespaces, tls: config.tls !== undefined })}
  http streams  ${base}${server.options.httpTransportsPath || '(off)'}/{sse,stream,poll}  (docs/transports.md)
  pusher       \
 ${describePusher(server, websocketUrl.slice(0, websocketUrl.indexOf(server.options.websocketPath)), base)}
  admin         ${admin ? `${base}/admin  (${adminSecret ? 'admin secret' : 'API key'})` : 'off'}
  health        ${base}/health/ready  (liveness: /health/live)
  metrics       ${base}/metrics  (${describeMetrics(server)})
  namespaces    ${namespaces.length > 0 ? namespaces.join(', ') : '(none: every subscribe gets 102)'}
  proxy         ${describeProxy(server)}
  jwt           ${describeJwt(server)}
  anonymous     ${describeAnonymous(server)}`;
  // A worker's banner is printed once by the primary, when every worker listens.
  if (slot === undefined) console.log(banner);

  const fdLimit = openFileLimit();
  const fdWarning = openFileWarning(fdLimit, server.options.maxConnections);
  if (fdWarning) {
    log.warn({ openFileLimit: fdLimit, maxConnections: server.options.maxConnections }, fdWarning);
    if (process.stdout.isTTY !== true) console.error(`switchboard: warning: ${fdWarning}`);
  }
  log.info(
    {
      url: base,
      websocketPath: server.options.websocketPath,
      engine: config.engine.type,
      logLevel: log.level,
      ...(slot !== undefined && { worker: slot, pid: process.pid }),
    },
    'listening',
  );
  if (slot !== undefined)
    process.send?.({
      sb: 'listening',
      nodeId: server.nodeId,
      name: server.options.nodeName,
      banner,
    } satisfies ToPrimary);

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

/** The banner's pusher line: where Pusher clients and SDKs connect, and which apps. */
function describePusher(server: SwitchboardServer, wsBase: string, base: string): string {
  const pusher = server.options.pusher;
  if (!pusher) return 'off (--pusher-app ID:KEY:SECRET)';
  const apps = pusher.apps.map((a) => a.id).join(', ');
  return `${wsBase}/app/<key>, REST ${base}/apps/<id>/  (apps ${apps}; docs/pusher.md)`;
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
  if (engine.type === 'nats')
    return (
      `nats engine (${engine.urls.map(redactNatsUrl).join(', ')}; ${engine.replicas ?? 1} replica(s), ` +
      `${engine.storage ?? 'file'} storage)`
    );
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

/** Whether serve shows the demo page on `/`, and why not. */
function demoState(enabled: boolean, namespaces: ServerOptions['namespaces']): { on: boolean; reason?: string } {
  if (!enabled) return { on: false, reason: 'turned off (--no-demo, demo: false or SWITCHBOARD_DEMO=false)' };
  if (!namespaces || !(DEMO_NAMESPACE in namespaces))
    return { on: false, reason: `the config has no "${DEMO_NAMESPACE}" namespace, which the demo uses` };
  return { on: true };
}

/**
 * The banner's ready-to-paste lines: the key into the shell, and a publish to the demo channel (or the first
 * namespace's).
 */
function tryIt(o: { base: string; apiKey: string | undefined; namespaces: string[]; tls: boolean }): string {
  const ns = o.namespaces.includes(DEMO_NAMESPACE) ? DEMO_NAMESPACE : o.namespaces[0];
  const lines = o.apiKey ? [`export SWITCHBOARD_API_KEY=${o.apiKey}`] : [];
  if (ns)
    lines.push(
      `curl${o.tls ? ' -k' : ''} -X POST ${o.base}/api/publish -H "Authorization: apikey $SWITCHBOARD_API_KEY" -d ` +
        `'{"channel":"${ns}:lobby","data":{"text":"hi"}}'`,
    );
  return (
    lines.map((line, i) => `  ${i === 0 ? 'try it'.padEnd(14) : ' '.repeat(14)}${line}`).join('\n') ||
    '  try it        (no namespace to publish to)'
  );
}

/** Where a client on this box reaches the server: the bound address, or loopback for "every interface". */
function reachable(address: { address: string; port: number; family: string }): string {
  if (address.address === '0.0.0.0' || address.address === '::') return `127.0.0.1:${address.port}`;
  return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function describeMetrics(server: SwitchboardServer): string {
  const p = server.options.protectMetrics;
  if (p === false) return 'open: no credentials needed';
  return p === 'apiKey' ? 'Authorization: apikey KEY' : 'Authorization: Bearer TOKEN';
}
