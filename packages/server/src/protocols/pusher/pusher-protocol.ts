import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { redactUrl, WebSocketServer, type AcceptedConnection, type AcceptRateOptions } from '@switchboard/websocket';
import { originCheck } from '../../auth/origin-policy.js';
import type { ProtocolEndpoints, ProtocolNode } from '../../client-protocol.js';
import type { Logger } from '../../logger.js';
import type { ServerMetrics } from '../../metrics/server-metrics.js';
import { PusherApp } from './pusher-app.js';
import { pusherFrame } from './pusher-codec.js';
import { PusherConnection } from './pusher-connection.js';
import { PusherErrorCode } from './pusher-error-code.js';
import type { ResolvedPusherOptions } from './pusher-options.js';
import { PusherRest } from './pusher-rest.js';
import { PusherTransport } from './pusher-transport.js';

/** The server options the Pusher protocol reads (`ResolvedServerOptions` is one). */
export interface PusherProtocolOptions {
  readonly pusher: ResolvedPusherOptions;
  readonly allowedOrigins: string[] | undefined;
  readonly maxMessageSize: number;
  readonly maxApiBodySize: number;
  readonly apiBodyTimeoutMs: number;
  readonly idempotencyWindowMs: number;
  readonly acceptRate: AcceptRateOptions | false;
  readonly compression: false | { threshold?: number };
}

/** Protocol versions pusher-js (7) and older clients (pysher: 6, 5) speak. */
const VERSIONS = new Set(['5', '6', '7']);
const NO_LISTENER = { onMessage() {}, onPing() {}, onPong() {}, onError() {}, onClosing() {}, onClosed() {} };

/**
 * Pusher Channels (protocol 7) on the node's port: WebSocket at `/app/{key}`
 * (HTTP/1.1 and RFC 8441), REST under `/apps/{id}/`. Each app is isolated:
 * its own namespaces, codec and REST credentials. Refusals before a session
 * exists (unknown app 4001, no or unsupported protocol version 4008/4007, app
 * over its connection quota 4004) are a `pusher:error` and a close.
 */
export class PusherProtocol implements ProtocolEndpoints {
  readonly name = 'pusher';
  private readonly wss: WebSocketServer;
  private readonly byKey = new Map<string, PusherApp>();
  private readonly byId = new Map<string, PusherApp>();
  private readonly rest: PusherRest;

  constructor(
    private readonly options: PusherProtocolOptions,
    private readonly metrics: Pick<ServerMetrics, 'handshake' | 'http2WebSocket' | 'published'>,
    private readonly log: Logger,
  ) {
    for (const app of options.pusher.apps) {
      const parts = new PusherApp(app);
      this.byKey.set(app.key, parts);
      this.byId.set(app.id, parts);
    }
    this.rest = new PusherRest(
      this.byId,
      { maxBytes: options.maxApiBodySize, timeoutMs: options.apiBodyTimeoutMs },
      log,
    );
    this.wss = new WebSocketServer({
      maxMessageSize: options.maxMessageSize,
      acceptRate: options.acceptRate || undefined,
      checkOrigin: originCheck(options.allowedOrigins, false),
      perMessageDeflate: options.compression && { threshold: options.compression.threshold },
      accept: (connection) => this.accept(connection),
    });
    this.wss.on('rejected', (error) => metrics.handshake(error.status));
  }

  start(node: ProtocolNode): void {
    const services = {
      idempotencyWindowMs: this.options.idempotencyWindowMs,
      published: (channel: string) => this.metrics.published(channel),
    };
    for (const app of this.byKey.values()) app.start(node, services, this.log);
    const counted = [...this.byKey.values()].filter((app) => app.counts !== undefined);
    if (counted.length === 0) return;
    const countsOf = (channel: string) => counted.find((app) => app.counts!.counts(channel))?.counts;
    node.presence.watchCounts((channel) => countsOf(channel)?.changedHere(channel));
    node.cluster.watchCounts((channel) => countsOf(channel)?.changed(channel));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean {
    if (!path.startsWith('/app/')) return false;
    this.wss.handleUpgrade(req, socket, head);
    return true;
  }

  extendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string): boolean {
    if (!path.startsWith('/app/')) return false;
    this.metrics.http2WebSocket();
    this.wss.handleExtendedConnect(stream, headers);
    return true;
  }

  request(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!path.startsWith('/apps/')) return false;
    void this.rest.handle(req, res, path);
    return true;
  }

  close(): Promise<void> {
    for (const app of this.byKey.values()) app.counts?.stop();
    return this.wss.close();
  }

  private accept(connection: AcceptedConnection): void {
    this.metrics.handshake(101);
    const { target, headers } = connection.request;
    const url = new URL(target, 'http://pusher');
    const app = this.byKey.get(decodeURIComponent(url.pathname.slice('/app/'.length)));
    const version = url.searchParams.get('protocol');
    if (!app) return this.refuse(connection, PusherErrorCode.UnknownApp, 'Application does not exist');
    if (version === null) return this.refuse(connection, PusherErrorCode.NoProtocol, 'No protocol version supplied');
    if (!VERSIONS.has(version))
      return this.refuse(connection, PusherErrorCode.UnsupportedProtocol, `Unsupported protocol version ${version}`);
    const max = app.options.maxConnections;
    if (max > 0 && app.connections >= max)
      return this.refuse(connection, PusherErrorCode.OverQuota, 'Application is over connection quota');
    const running = app.running;
    if (!running) return this.refuse(connection, PusherErrorCode.Reconnect, 'Server is starting');
    const translator = new PusherConnection(app, performance.now());
    app.connections++;
    const transport = new PusherTransport(connection, app.codec, translator, () => app.connections--);
    running.node.open(
      transport,
      {
        headers: Object.fromEntries(headers),
        get remoteAddress() {
          return transport.remoteAddress;
        },
        url: target,
      },
      translator.opening(),
      running.session,
    );
  }

  /** `pusher:error` then the close with its code: what pusher-js reads to decide whether to reconnect. */
  private refuse(connection: AcceptedConnection, code: number, message: string): void {
    this.log.debug?.({ code, url: redactUrl(connection.request.target) }, `Pusher connection refused: ${message}`);
    const shell = connection.open(NO_LISTENER);
    shell.send(Buffer.from(pusherFrame('pusher:error', { code, message })), false);
    shell.close(code, message);
  }
}
