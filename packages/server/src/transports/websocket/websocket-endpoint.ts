import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import {
  redactUrl,
  WebSocketServer,
  type AcceptedConnection,
  type WebSocketServerOptions,
} from '@switchboard/websocket';
import type { ClientProtocol, ProtocolHost } from '../transport.js';
import type { Logger } from '../../logger.js';
import { WebSocketTransport } from './websocket-transport.js';

/** What a WebSocket endpoint counts. */
export interface WebSocketEndpointMetrics {
  handshake(status: number): void;
  http2WebSocket(): void;
}

/**
 * One WebSocket path of a client protocol: a `WebSocketServer` that validates
 * the handshake with the protocol's own rules (`options`: subprotocols, origin,
 * limits), then opens a session over a `WebSocketTransport` speaking the
 * protocol that `protocolOf` picks for the accepted connection.
 */
export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly host: ProtocolHost,
    options: Omit<WebSocketServerOptions, 'accept'>,
    private readonly protocolOf: (connection: AcceptedConnection) => ClientProtocol,
    private readonly metrics: WebSocketEndpointMetrics,
    log: Logger,
  ) {
    this.wss = new WebSocketServer({ ...options, accept: (connection) => this.accept(connection) });
    this.wss.on('rejected', (error, request) => {
      metrics.handshake(error.status);
      if (error.status !== 403)
        log.debug?.({ status: error.status, url: redactUrl(request?.target) }, 'handshake refused');
      else
        log.info(
          { url: redactUrl(request?.target), origin: request?.headers.get('origin') },
          'handshake refused: origin not allowed',
        );
    });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head);
  }

  extendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    this.metrics.http2WebSocket();
    this.wss.handleExtendedConnect(stream, headers);
  }

  close(): Promise<void> {
    return this.wss.close();
  }

  private accept(connection: AcceptedConnection): void {
    this.metrics.handshake(101);
    const transport = new WebSocketTransport(connection, this.protocolOf(connection));
    const { headers, target } = connection.request;
    // The address is read when something asks for it (a hook, the proxy, a log line): reading it makes Node keep a copy
    // per socket.
    this.host.open(transport, {
      headers: Object.fromEntries(headers),
      get remoteAddress() {
        return transport.remoteAddress;
      },
      url: target,
    });
  }
}
