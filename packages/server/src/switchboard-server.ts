import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { Http2SecureServer, Http2ServerRequest } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Engine, StreamPosition } from '@switchboard/engine';
import { memoryEngine } from '@switchboard/engine-memory';
import { DisconnectCode, ReplyErrorCode, withReconnectAfter, type Command } from '@switchboard/wire';
import { ConnectionAuth } from './auth/connection-auth.js';
import type { ConnectionRequest } from './auth/identity.js';
import { JwtAuth } from './auth/jwt-auth.js';
import { ChannelService } from './channels/channel-service.js';
import { Hub } from './channels/hub.js';
import { Namespaces } from './channels/namespaces.js';
import type { ProtocolEndpoints, ProtocolHost } from './client-protocol.js';
import { ClusterControl } from './cluster/cluster-control.js';
import type { NodeInfo } from './cluster/control-messages.js';
import { CommandError } from './errors.js';
import { ApiHandler, type ApiServices } from './api/api-handler.js';
import { HeaderSecret } from './http/header-secret.js';
import { HealthCheck } from './api/health-check.js';
import { startLifecycle, type LifecycleNode } from './lifecycle-node.js';
import { bodyUnread, sendJson } from './http/json-http.js';
import { silentLogger, type Logger } from './logger.js';
import { nodeStats } from './metrics/node-stats.js';
import { ServerMetrics, namespaceOf } from './metrics/server-metrics.js';
import { PresenceTracker } from './presence/presence-tracker.js';
import { PusherProtocol } from './protocols/pusher/pusher-protocol.js';
import { SwitchboardProtocol } from './protocols/switchboard/switchboard-protocol.js';
import { BackendProxy } from './proxy/backend-proxy.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './server-options.js';
import { drainCloseReason, drainSessions, type DrainPlan } from './sessions/drain.js';
import { Heartbeat } from './sessions/heartbeat.js';
import { Session } from './sessions/session.js';
import { SessionRegistry } from './sessions/session-registry.js';
import type { SessionServices } from './sessions/session-services.js';
import type { Transport } from './transports/transport.js';

/** Prometheus text for `/metrics`: a prom-client `Registry` is one. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * The composition root: one server node. It owns the engine, the hub, sessions
 * and the HTTP endpoints (`/health`, `/metrics`, `/api/*`, and each client
 * protocol's: `switchboard.v1`'s WebSocket path and HTTP transports), and runs
 * standalone (`listen`) or inside your HTTP server (`attach` + `handleRequest`).
 */
export class SwitchboardServer implements ProtocolHost {
  readonly options: ResolvedServerOptions;
  readonly nodeId: string;
  readonly metrics: ServerMetrics;
  private core: NodeParts | undefined;
  private starting: Promise<NodeParts> | undefined;
  /** The client protocols this node speaks, each with its endpoints; the first that takes a request serves it. */
  private readonly protocols: readonly ProtocolEndpoints[];
  private readonly api: ApiHandler;
  private readonly sessions = new SessionRegistry();
  private readonly startedAt = Date.now();
  private httpServer: HttpServer | undefined;
  private readonly heartbeat: Heartbeat;
  private draining: Promise<number> | undefined;
  private readonly drainListeners: ((plan: DrainPlan) => void)[] = [];
  /** Where `/metrics` takes its text: this node's registry unless `setMetricsSource` replaced it. */
  private metricsSource: MetricsSource;
  /** What `/metrics` requires with `protectMetrics`, made on first use. */
  private metricsSecret: HeaderSecret | undefined;
  /** The application's backend over HTTP, when `proxy` is set. */
  readonly proxy: BackendProxy | undefined;
  private readonly health: HealthCheck;

  constructor(
    options: ServerOptions = {},
    private readonly log: Logger = silentLogger,
  ) {
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 8);
    const resolved = resolveServerOptions(options, { nodeId: this.nodeId, nodeName: hostname() });
    if (resolved.proxy) {
      const namespaces = resolved.namespaces;
      this.proxy = new BackendProxy(
        resolved.proxy,
        (channel, event) => namespaces.get(namespaceOf(channel))?.proxy.includes(event) ?? false,
        log,
      );
      this.options = { ...resolved, hooks: this.proxy.hooks(resolved.hooks) };
    } else {
      this.options = resolved;
    }
    const proxy = this.proxy?.client;
    this.metrics = new ServerMetrics({
      connections: () => this.sessions.all(),
      channelCount: () => this.core?.hub.channelCount ?? 0,
      proxy: proxy && (() => ({ inFlight: proxy.inFlight, queued: proxy.queued, cap: proxy.maxInFlight })),
    });
    this.metricsSource = this.metrics.registry;
    this.heartbeat = new Heartbeat(() => this.sessions.all(), this.options.pingIntervalMs, this.options.pongTimeoutMs);
    this.protocols = [
      new SwitchboardProtocol(this, this.options, this.metrics, log),
      ...(this.options.pusher
        ? [new PusherProtocol({ ...this.options, pusher: this.options.pusher }, this.metrics, log)]
        : []),
    ];
    this.api = new ApiHandler(this.options.apiKey, () => this.core?.api, this.options.apiCorsOrigins);
    this.health = new HealthCheck(
      {
        state: () => (!this.core ? 'starting' : this.draining ? 'draining' : 'running'),
        probe: () => this.core!.engine.broker.history(HEALTH_CHANNEL, { limit: 0 }),
      },
      this.options.readinessTimeoutMs,
    );
  }

  /** Starts the engine and the node's timers; `listen` and `attach` call it. Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.build();
    return this.starting.then(() => {});
  }

  /** Listens on its own HTTP server. @default port 8000 on 127.0.0.1 */
  async listen(port = 8000, host = '127.0.0.1'): Promise<AddressInfo> {
    await this.start();
    const server = createHttpServer((req, res) => {
      if (!this.handleRequest(req, res)) sendJson(res, 404, { error: { code: 104, message: 'not found' } });
    });
    this.attach(server, { exclusive: true });
    this.httpServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /**
   * Takes the WebSocket upgrades of every client protocol (`websocketPath`)
   * from your HTTP server; other upgrades are left alone, unless `exclusive`
   * (the server serves nothing else): then they get 404, and `CONNECT`
   * requests 405, instead of a socket that nobody answers. Starts the node: a
   * start that fails (engine unreachable) is logged here and rejects `start()`,
   * never an unhandled rejection.
   */
  attach(server: HttpServer, options: { exclusive?: boolean } = {}): void {
    this.start().catch((error: unknown) => this.log.error({ err: error }, 'server start failed'));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = pathOf(req.url);
      if (!this.protocols.some((p) => p.upgrade(req, socket, head, path)) && options.exclusive)
        refuse(socket, '404 Not Found');
    });
    if (options.exclusive)
      server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuse(socket, '405 Method Not Allowed'));
  }

  /**
   * Takes WebSocket connections from an HTTPS server made by `http2.createSecureServer`
   * (`allowHTTP1: true`, `settings: { enableConnectProtocol: true }`): HTTP/1.1 upgrades,
   * and RFC 8441 extended CONNECTs over HTTP/2. The CONNECTs are taken from the
   * compatibility API's 'connect' event: with a 'request' handler and no 'connect'
   * listener, Node answers every CONNECT with 405 (nodejs/node#36977).
   */
  attachHttp2(server: Http2SecureServer): void {
    this.attach(server as unknown as HttpServer);
    server.on('connect', (req: Http2ServerRequest) => {
      const path = pathOf(req.headers[':path']);
      if (this.protocols.some((p) => p.extendedConnect(req.stream, req.headers, path))) return;
      req.stream.respond({ ':status': 404 });
      req.stream.end();
    });
  }

  /**
   * Answers `/health/live`, `/health/ready` (and `/health`, its alias), `/metrics`, `/api/*` and the
   * client protocols' HTTP endpoints (the HTTP transports); returns false for any other request, for
   * your handler to serve.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const path = pathOf(req.url);
    if (path === '/health/live') {
      sendJson(res, 200, { status: 'ok', node: this.nodeId });
      return true;
    }
    if (path === '/health' || path === '/health/ready') {
      // 503 while starting, draining or without an engine, so a load balancer sends new clients elsewhere.
      void this.health
        .readiness()
        .then((r) => sendJson(res, r.ready ? 200 : 503, { status: r.status, node: this.nodeId }));
      return true;
    }
    if (path === '/metrics') {
      if (!this.metricsAllowed(req.headers.authorization)) {
        sendJson(
          res,
          401,
          { error: { code: 101, message: 'metrics need credentials (protectMetrics)' } },
          { 'www-authenticate': 'Bearer' },
        );
        return true;
      }
      const source = this.metricsSource;
      void source
        .metrics()
        .then((text) =>
          res
            .writeHead(200, { 'content-type': source.contentType, ...(bodyUnread(req) ? { connection: 'close' } : {}) })
            .end(text),
        );
      return true;
    }
    if (this.protocols.some((p) => p.request(req, res, path))) return true;
    if (path.startsWith('/api/')) {
      void this.api.handle(req, res, path.slice(5));
      return true;
    }
    return false;
  }

  private metricsAllowed(header: string | undefined): boolean {
    const rule = this.options.protectMetrics;
    if (rule === false) return true;
    this.metricsSecret ??=
      rule === 'apiKey' ? new HeaderSecret('apikey', this.options.apiKey) : new HeaderSecret('Bearer', rule.token);
    return this.metricsSecret.matches(header);
  }

  /**
   * Serves `/metrics` from `source` instead of this node's registry (`serve --workers`: every worker's, aggregated).
   * `source.metrics()` must not reject.
   */
  setMetricsSource(source: MetricsSource): void {
    this.metricsSource = source;
  }

  /**
   * `listener` runs when a drain begins on this node, whatever began it (a signal, `/api/drain`, another node):
   * `serve --workers` drains the box's other workers with it.
   */
  onDrain(listener: (plan: DrainPlan) => void): void {
    this.drainListeners.push(listener);
  }

  /** This node's numbers, as other nodes see them in `info`. */
  nodeInfo(): NodeInfo {
    return {
      nodeId: this.nodeId,
      name: this.options.nodeName,
      connections: this.sessions.size,
      users: this.sessions.userCount(),
      channels: this.core?.hub.channelCounts().size ?? 0,
      uptimeMs: Date.now() - this.startedAt,
    };
  }

  get address(): AddressInfo | undefined {
    return (this.httpServer?.address() as AddressInfo | null) ?? undefined;
  }

  /**
   * Closes every connection in batches (`drainBatchSize` every `drainIntervalMs`),
   * each told to come back within `drainReconnectWindowMs`; new connections are
   * refused with 3401 and the same window meanwhile, and `/health` answers 503.
   * Resolves with the number of connections closed. Idempotent.
   */
  drain(plan: Partial<DrainPlan> = {}): Promise<number> {
    const o = this.options;
    if (this.draining) return this.draining;
    const full: DrainPlan = {
      code: plan.code ?? 1012,
      batchSize: plan.batchSize ?? o.drainBatchSize,
      intervalMs: plan.intervalMs ?? o.drainIntervalMs,
      reconnectWindowMs: plan.reconnectWindowMs ?? o.drainReconnectWindowMs,
    };
    const connections = this.sessions.size;
    this.log.info(
      { connections, ...full, expectedMs: Math.max(0, Math.ceil(connections / full.batchSize) - 1) * full.intervalMs },
      'drain started',
    );
    this.draining = drainSessions([...this.sessions.all()], full).then((closed) => {
      this.log.info({ closed }, 'drain finished');
      return closed;
    });
    for (const listener of this.drainListeners) listener(full);
    return this.draining;
  }

  /** Closes every connection with 3001 (reconnect elsewhere), stops the listener and the engine. */
  async close(): Promise<void> {
    this.heartbeat.stop();
    for (const session of [...this.sessions.all()]) session.disconnect(DisconnectCode.Shutdown, 'server shutting down');
    await Promise.all(this.protocols.map((p) => p.close()));
    const server = this.httpServer;
    this.httpServer = undefined;
    if (server) {
      // Stop listening and cut the HTTP requests still open (a slow body, a stalled client): sessions are
      // gone already. Not awaiting the server's 'close': after a fuzz run it was seen never to come, with
      // no socket left open (the process then had nothing to wait on).
      server.close();
      server.closeAllConnections();
    }
    const core = this.core;
    this.core = undefined;
    if (core) {
      core.hub.stopPositionChecks();
      await core.presence.stop();
      await core.lifecycle?.stop();
      core.cluster.stop();
      await core.engine.close();
    }
    this.proxy?.close();
  }

  private async build(): Promise<NodeParts> {
    const o = this.options;
    const hub = new Hub(
      (n) => this.metrics.messagesSent(n),
      (channel) => o.namespaces.get(namespaceOf(channel))?.compress ?? true,
    );
    const cluster = new ClusterControl(hub, this.sessions, () => this.nodeInfo(), this.log, {
      stats: () => nodeStats(this.metrics.registry, this.nodeInfo(), hub.channelCounts()),
      drain: (plan) => this.drain(plan),
    });
    const factory = o.engine ?? memoryEngine();
    const engine: Engine = await factory({ nodeId: this.nodeId, broker: hub, control: cluster, log: this.log });
    hub.bind(engine.broker);
    cluster.bind(engine.control);
    const presence = new PresenceTracker(engine.presence, cluster, o.presenceTtlMs, this.log);
    const lifecycle = await startLifecycle(o, engine, this.nodeId, this.metrics.registry, this.log).catch(
      async (error: unknown) => {
        await engine.close();
        throw error;
      },
    );
    if (lifecycle) {
      hub.watchOccupancy(lifecycle.emitter);
      presence.watchMembers(lifecycle.emitter);
    }
    const channels = new ChannelService(new Namespaces(o.namespaces), engine, {
      idempotencyWindowMs: o.idempotencyWindowMs,
      published: (channel) => this.metrics.published(channel),
    });
    const session: SessionServices = {
      nodeId: this.nodeId,
      options: o,
      channels,
      hub,
      presence,
      registry: this.sessions,
      auth: new ConnectionAuth(o, o.jwt && new JwtAuth(o.jwt), this.log),
      metrics: this.metrics,
      log: this.log,
      forwardedHeaders: this.proxy && ((headers) => this.proxy!.forwardedHeaders(headers)),
      lifecycle: lifecycle?.emitter,
    };
    const api: ApiServices = {
      nodeId: this.nodeId,
      channels,
      cluster,
      log: this.log,
      body: { maxBytes: o.maxApiBodySize, timeoutMs: o.apiBodyTimeoutMs },
      connections: () => this.sessions.size,
      drain: (plan) => this.drain(plan),
      webhooks: lifecycle?.dispatcher,
    };
    for (const protocol of this.protocols)
      protocol.start?.({ engine, cluster, hub, presence, session, open: (...args) => this.open(...args) });
    presence.start();
    hub.startPositionChecks(o.positionCheckIntervalMs);
    this.heartbeat.start();
    cluster.start();
    this.core = { hub, cluster, engine, presence, session, api, lifecycle };
    return this.core;
  }

  /**
   * Opens a session over any transport: every protocol's endpoints use it, and
   * so can a test or an embedder with a `MemoryTransport`. `opening` are
   * commands built from the request, run as if the client sent them (a
   * unidirectional stream's `connect`); `services`, a protocol's own session
   * services (`ProtocolNode.open`). Before `start()` has finished, and during a
   * drain, the transport is closed with 3001 or 3401.
   */
  open(
    transport: Transport,
    request?: ConnectionRequest,
    opening?: readonly Command[],
    services?: SessionServices,
  ): void {
    const core = this.core;
    if (!core) return transport.close(DisconnectCode.Shutdown, 'server is not running');
    if (this.draining)
      return transport.close(DisconnectCode.Draining, drainCloseReason(this.options.drainReconnectWindowMs));
    const max = this.options.maxConnections;
    if (max > 0 && this.sessions.size >= max) {
      this.log.debug?.(
        { connections: this.sessions.size, maxConnections: max },
        'connection refused: node full (3400)',
      );
      return transport.close(
        DisconnectCode.TooManyConnections,
        withReconnectAfter('node full', { minMs: 1000, maxMs: 10_000 }),
      );
    }
    const session = new Session(services ?? core.session, transport, request);
    transport.bind(session);
    if (opening) session.receive(opening);
  }

  /** Publishes as the backend does through `/api/publish`. */
  async publish(channel: string, data: unknown, options: { idempotencyKey?: string } = {}): Promise<StreamPosition> {
    await this.start();
    if (!this.core) throw new CommandError(ReplyErrorCode.NotAvailable, 'server is closed');
    return this.core.session.channels.publish(channel, data, options);
  }
}

/** The stream read by readiness probes (a read of its top position; nothing is written). */
const HEALTH_CHANNEL = '$switchboard:health';

/** One running node's parts, built by `start()`. */
interface NodeParts {
  hub: Hub;
  cluster: ClusterControl;
  engine: Engine;
  presence: PresenceTracker;
  session: SessionServices;
  api: ApiServices;
  lifecycle: LifecycleNode | undefined;
}

/** Answers a raw socket that is not ours to serve, and closes it. */
function refuse(socket: Duplex, status: string): void {
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

function pathOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return q >= 0 ? url!.slice(0, q) : (url ?? '/');
}

/** Creates a server node; call `listen()` or `attach()` to serve. */
export function createServer(options?: ServerOptions, log?: Logger): SwitchboardServer {
  return new SwitchboardServer(options, log);
}
