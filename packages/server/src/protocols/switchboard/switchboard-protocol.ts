import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { AcceptRateOptions } from '@switchboard/websocket';
import { JsonCodec, Subprotocol, type Codec } from '@switchboard/wire';
import type { ResolvedJwtOptions } from '../../auth/jwt-options.js';
import { originCheck } from '../../auth/origin-policy.js';
import type { ProtocolEndpoints, ProtocolHost, ProtocolNode } from '../../client-protocol.js';
import type { Logger } from '../../logger.js';
import type { ServerMetrics } from '../../metrics/server-metrics.js';
import { HttpEndpoints } from '../../transports/http/http-endpoints.js';
import { WebSocketEndpoint } from '../../transports/websocket/websocket-endpoint.js';

/** The server options this protocol reads (`ResolvedServerOptions` is one; see server-options.ts for each). */
export interface SwitchboardProtocolOptions {
  readonly codecs: readonly Codec[];
  readonly allowedOrigins: string[] | undefined;
  readonly jwt: Pick<ResolvedJwtOptions, 'cookie'> | undefined;
  readonly maxMessageSize: number;
  readonly acceptRate: AcceptRateOptions | false;
  readonly compression: false | { threshold?: number };
  readonly websocketPath: string;
  readonly httpTransportsPath: string | false;
  readonly apiBodyTimeoutMs: number;
  readonly forwardTimeoutMs: number;
  readonly pongTimeoutMs: number;
}

/**
 * The `switchboard.v1` protocol's endpoints: WebSocket at `websocketPath`, its
 * codec chosen by subprotocol (`switchboard.v1.json` or `.msgpack`; none
 * offered: the first codec; an unknown one: 400), over HTTP/1.1 and RFC 8441;
 * and the HTTP transports (SSE, HTTP streaming, long-polling) under
 * `httpTransportsPath`, which speak its JSON codec and need the cluster
 * (`start`, once the node is built).
 */
export class SwitchboardProtocol implements ProtocolEndpoints {
  readonly name = 'switchboard.v1';
  private readonly websocket: WebSocketEndpoint;
  private http: HttpEndpoints | undefined;
  /** The Origin rule of the WebSocket handshake, applied to the HTTP transports too. */
  private readonly checkOrigin: ReturnType<typeof originCheck>;

  constructor(
    private readonly host: ProtocolHost,
    private readonly options: SwitchboardProtocolOptions,
    private readonly metrics: Pick<ServerMetrics, 'handshake' | 'http2WebSocket' | 'upstreamServed'>,
    log: Logger,
  ) {
    const codecs = options.codecs;
    this.checkOrigin = originCheck(options.allowedOrigins, options.jwt?.cookie !== undefined);
    this.websocket = new WebSocketEndpoint(
      host,
      {
        selectSubprotocol: (offered) => codecs.find((c) => offered.includes(c.subprotocol))?.subprotocol ?? null,
        requireSubprotocol: true,
        maxMessageSize: options.maxMessageSize,
        acceptRate: options.acceptRate || undefined,
        checkOrigin: this.checkOrigin,
        perMessageDeflate: options.compression && { threshold: options.compression.threshold },
      },
      (connection) => codecs.find((c) => c.subprotocol === connection.protocol) ?? codecs[0],
      metrics,
      log,
    );
  }

  /** The HTTP transports' endpoints, once the node has its cluster. */
  start({ cluster }: ProtocolNode): void {
    const o = this.options;
    const json =
      o.codecs.find((c): c is JsonCodec => c.subprotocol === Subprotocol.Json && c instanceof JsonCodec) ??
      new JsonCodec();
    this.http = new HttpEndpoints({
      host: this.host,
      codec: json,
      cluster,
      checkOrigin: this.checkOrigin,
      body: { maxBytes: o.maxMessageSize, timeoutMs: o.apiBodyTimeoutMs },
      forwardTimeoutMs: o.forwardTimeoutMs,
      pollLingerMs: o.pongTimeoutMs,
      upstreamServed: (kind, forwarded, status) => this.metrics.upstreamServed(kind, forwarded, status),
    });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean {
    if (path !== this.options.websocketPath) return false;
    this.websocket.upgrade(req, socket, head);
    return true;
  }

  extendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string): boolean {
    if (path !== this.options.websocketPath) return false;
    this.websocket.extendedConnect(stream, headers);
    return true;
  }

  request(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const prefix = this.options.httpTransportsPath;
    return (
      prefix !== false &&
      this.http !== undefined &&
      path.startsWith(prefix) &&
      this.http.handle(req, res, path.slice(prefix.length))
    );
  }

  close(): Promise<void> {
    return this.websocket.close();
  }
}
