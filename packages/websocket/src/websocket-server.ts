import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream as Http2Stream } from 'node:http2';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  DEFAULT_MAX_HEADER_BYTES,
  ErrorCode,
  HandshakeError,
  HttpHeadReader,
  acceptHandshake,
  computeAcceptKey,
  parseRequestHead,
  prepareFrame,
  resolveConnectionOptions,
  renderRejection,
  serverPerMessageDeflate,
  type DeflateCodec,
  type HttpRequestHead,
  type PerMessageDeflateOptions,
  type ServerExtensionNegotiator,
  type ServerHandshakeOptions,
} from '@switchboard/protocol';
import { AcceptLimiter, type AcceptRateOptions } from './accept-limiter.js';
import { AcceptedConnection } from './accepted-connection.js';
import { defaultDeflateCodec } from './node-deflate-codec.js';
import { sha1 } from './node-crypto.js';
import { asBuffer, toBytes } from './buffers.js';
import { assertPositiveIntegers } from './options.js';
import type { PreparedMessage } from './prepared-message.js';
import { readHead, type HeadOutcome } from './read-head.js';
import { ReadyState, ServerWebSocket, type MessageData } from './server-websocket.js';
import type { SocketShellOptions } from './socket-shell.js';

export interface WebSocketServerOptions {
  /**
   * Subprotocols the server speaks, in preference order; the first one the client also offers is chosen. @default []
   */
  protocols?: readonly string[];
  /** Custom subprotocol choice; overrides `protocols`. Return null for none. */
  selectSubprotocol?: (offered: readonly string[], request: HttpRequestHead) => string | null;
  /** Refuse (400) clients that offer subprotocols when none is chosen. @default false */
  requireSubprotocol?: boolean;
  /** Return false to refuse an Origin with 403 (the CSWSH defence). @default all origins allowed */
  checkOrigin?: (origin: string | undefined, request: HttpRequestHead) => boolean;
  /** Extension negotiators, in preference order, tried before permessage-deflate. @default [] */
  extensions?: readonly ServerExtensionNegotiator[];
  /**
   * permessage-deflate (RFC 7692). Off by default; `true` uses the safe defaults
   * (no context takeover, threshold 1 KiB). `enabled` decides per connection.
   * @default false
   */
  perMessageDeflate?: boolean | ServerDeflateOptions;
  /** Largest request head read by the standalone listener; larger → 431. @default 16384 */
  maxHeaderBytes?: number;
  /** A client must complete its opening handshake within this many ms (slowloris defence). @default 10000 */
  handshakeTimeout?: number;
  /** Largest message accepted; larger → close 1009. @default 16 MiB */
  maxMessageSize?: number;
  /** Most frames per message; more → close 1009. @default 131072 */
  maxFragments?: number;
  /** Answer pings automatically. @default true */
  autoPong?: boolean;
  /** Pause reading from a connection while more than this many bytes wait to be sent. @default 1 MiB */
  highWaterMark?: number;
  /** Resume reading once the backlog falls to this many bytes. @default 256 KiB */
  lowWaterMark?: number;
  /** How long a closing handshake may take before the socket is destroyed. @default 5000 */
  closeTimeout?: number;
  /**
   * A token bucket on handshakes; the excess gets 503 with Retry-After (reconnect-storm protection). @default no limit
   */
  acceptRate?: AcceptRateOptions;
  /**
   * Takes each accepted connection instead of the server: call `connection.open(listener)`
   * to become its shell's listener (e.g. a transport of your own, with no `ServerWebSocket`
   * in between). Such connections get no 'connection' event, are not in `clients`, and are
   * not closed by `close()`: their owner closes them.
   * @default each connection becomes a `ServerWebSocket`, announced by 'connection'
   */
  accept?: (connection: AcceptedConnection) => void;
}

export interface ServerDeflateOptions extends PerMessageDeflateOptions {
  /** Return false to refuse compression for this connection. @default every connection may compress */
  enabled?: (request: HttpRequestHead) => boolean;
  /** Where zlib streams come from. @default a process-wide pooled node:zlib codec */
  codec?: DeflateCodec;
}

export interface WebSocketServerEvents {
  connection: [socket: ServerWebSocket, request: HttpRequestHead];
  /** A handshake was refused with an HTTP status; for logs and metrics. */
  rejected: [error: HandshakeError, request: HttpRequestHead | undefined];
  listening: [address: AddressInfo];
  close: [];
}

const DEFAULTS = Object.freeze({ maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES, handshakeTimeout: 10_000 });

/**
 * Accepts WebSocket connections: standalone (`listen`), on an existing
 * http/https server (`attach`), or from any upgrade you hand it
 * (`handleUpgrade`, `handleDuplex`). Each becomes a `ServerWebSocket`, or goes
 * to the `accept` option.
 */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  readonly clients = new Set<ServerWebSocket>();
  private readonly options: WebSocketServerOptions;
  private netServer: NetServer | undefined;
  private readonly pending = new Set<Duplex>();
  private readonly connection: SocketShellOptions;
  private readonly deflate:
    | { negotiator: ServerExtensionNegotiator; enabled?: (r: HttpRequestHead) => boolean }
    | undefined;
  private readonly limiter: AcceptLimiter | undefined;
  /** The handshake options of requests that `perMessageDeflate.enabled` does not decide on: built once. */
  private readonly handshake: ServerHandshakeOptions;

  constructor(options: WebSocketServerOptions = {}) {
    super();
    assertPositiveIntegers('WebSocketServer', options, ['maxHeaderBytes', 'handshakeTimeout', 'closeTimeout']);
    this.options = { ...options };
    // Built (and validated) once; every connection starts from it. Frozen: the core resolves it once for all of them.
    this.connection = Object.freeze({
      role: 'server',
      maxMessageSize: options.maxMessageSize,
      maxFragments: options.maxFragments,
      autoPong: options.autoPong,
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      closeTimeout: options.closeTimeout,
    });
    const { maxMessageSize } = resolveConnectionOptions(this.connection);
    this.limiter = options.acceptRate && new AcceptLimiter(options.acceptRate);
    const deflate = options.perMessageDeflate === true ? {} : options.perMessageDeflate || undefined;
    if (deflate) {
      this.deflate = {
        negotiator: serverPerMessageDeflate(deflate, deflate.codec ?? defaultDeflateCodec, maxMessageSize),
        enabled: deflate.enabled,
      };
    }
    this.handshake = {
      sha1,
      selectSubprotocol:
        options.selectSubprotocol ??
        ((offered: readonly string[]) => options.protocols?.find((p) => offered.includes(p)) ?? null),
      requireSubprotocol: options.requireSubprotocol,
      extensions: [...(options.extensions ?? []), ...(this.deflate ? [this.deflate.negotiator] : [])],
      checkOrigin: options.checkOrigin,
    };
  }

  /** Listens on its own TCP port, parsing handshakes with the core's bounded parser. */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (socket) => this.handleDuplex(socket));
    this.netServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address() as AddressInfo;
        this.emit('listening', address);
        resolve(address);
      });
    });
  }

  /**
   * Takes over the 'upgrade' event of an http or https server. Node's parser has already applied its own header limit.
   */
  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
  }

  /** Completes an upgrade that Node's HTTP server has parsed. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.complete(socket, requestHeadOf(req), head);
  }

  /** Runs the whole opening handshake on a raw duplex: reads the head, then upgrades. */
  handleDuplex(socket: Duplex): void {
    this.pending.add(socket);
    const reader = new HttpHeadReader(parseRequestHead, this.options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes);
    readHead(socket, reader, this.options.handshakeTimeout ?? DEFAULTS.handshakeTimeout, this.onHead);
  }

  /** Where `readHead` reports, for every handshake (one function, not one closure per connection). */
  private readonly onHead = (outcome: HeadOutcome<HttpRequestHead>, socket: Duplex): void => {
    this.pending.delete(socket);
    if (outcome.type === 'head') this.complete(socket, outcome.head, outcome.rest);
    else if (outcome.type === 'invalid') this.reject(socket, asHandshakeError(outcome.error));
    else if (outcome.type === 'timeout')
      this.reject(socket, new HandshakeError(ErrorCode.HandshakeTimeout, 408, 'opening handshake timed out'));
  };

  /**
   * RFC 8441 (WebSocket over HTTP/2): accepts an extended CONNECT stream, as an
   * HTTP/2 server's 'stream' event delivers it (`settings.enableConnectProtocol`
   * must be on). The handshake rules are those of RFC 6455 minus the
   * Upgrade/Key/Accept exchange (§5): the version, subprotocol, extensions and
   * Origin are checked the same way, success is `:status 200` (not 101), and the
   * stream then carries the frames, client frames still masked. Refusals answer
   * with the same status as over HTTP/1.1 and end the stream.
   */
  handleExtendedConnect(stream: Http2Stream, headers: IncomingHttpHeaders): void {
    const h = new Map<string, string>();
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(':') || value === undefined) continue;
      h.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    h.set('host', String(headers[':authority'] ?? ''));
    const request: HttpRequestHead = {
      method: 'GET',
      target: String(headers[':path'] ?? '/'),
      version: 'HTTP/2',
      headers: h,
    };
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') {
      return this.refuseStream(
        stream,
        new HandshakeError(ErrorCode.NotUpgrade, 400, 'expected an extended CONNECT with :protocol websocket'),
        request,
      );
    }
    const overloaded = this.limiter?.admit();
    if (overloaded) return this.refuseStream(stream, overloaded, request);
    let accepted;
    try {
      // The RFC 6455 checks, given the HTTP/1.1 pieces that RFC 8441 drops: none of them reaches the peer.
      const asUpgrade = new Map(h).set('upgrade', 'websocket').set('connection', 'Upgrade');
      if (!asUpgrade.has('sec-websocket-key')) asUpgrade.set('sec-websocket-key', 'AAAAAAAAAAAAAAAAAAAAAA==');
      accepted = acceptHandshake(
        { ...request, version: 'HTTP/1.1', headers: asUpgrade },
        this.handshakeOptions(request),
      );
    } catch (error) {
      return this.refuseStream(stream, asHandshakeError(error), request);
    }
    const response: Record<string, string | number> = { ':status': 200 };
    if (accepted.protocol) response['sec-websocket-protocol'] = accepted.protocol;
    if (accepted.extensionsHeader) response['sec-websocket-extensions'] = accepted.extensionsHeader;
    // Not part of RFC 8441, but undici 7 sends a key over HTTP/2 too and checks the accept
    // (lib/web/websocket/connection.js).
    if (h.has('sec-websocket-key'))
      response['sec-websocket-accept'] = computeAcceptKey(h.get('sec-websocket-key')!, sha1);
    stream.respond(response);
    const options =
      accepted.extensions.length === 0 ? this.connection : { ...this.connection, extensions: accepted.extensions };
    const connection = new AcceptedConnection(
      stream,
      request,
      accepted.protocol,
      accepted.extensionsHeader,
      options,
      new Uint8Array(0),
    );
    if (this.options.accept) return this.options.accept(connection);
    this.emit('connection', new ServerWebSocket(connection, this.clients), request);
  }

  private refuseStream(stream: Http2Stream, error: HandshakeError, request: HttpRequestHead): void {
    stream.on('error', ignore);
    this.emit('rejected', error, request);
    if (stream.destroyed) return;
    stream.respond({ ':status': error.status, 'content-type': 'text/plain; charset=utf-8' });
    stream.end(`${error.message}\n`);
  }

  /**
   * Frames a data message once, for `sendPrepared` on any number of connections:
   * every socket gets the same bytes, and the payload is copied once, behind the header.
   * Strings go as text unless `binary` is set; bytes go as binary. On connections
   * with permessage-deflate and no server context takeover it is compressed once
   * for all of them (above the threshold); `compress: false` sends it as it is
   * everywhere (RFC 7692 marks compression per message, so both are valid).
   */
  static prepare(
    data: MessageData,
    binary = typeof data !== 'string',
    options: { compress?: boolean } = {},
  ): PreparedMessage {
    const frame = prepareFrame(toBytes(data), binary, { transform: options.compress ?? true });
    return { ...frame, bytes: asBuffer(frame.bytes) };
  }

  /**
   * Sends one message to many connections (default: all open ones), framed once:
   * every socket gets the same bytes. Returns how many connections it was queued on.
   */
  broadcast(data: MessageData, options: { binary?: boolean; to?: Iterable<ServerWebSocket> } = {}): number {
    const message = WebSocketServer.prepare(data, options.binary ?? typeof data !== 'string');
    let sent = 0;
    for (const client of options.to ?? this.clients) {
      if (client.readyState !== ReadyState.OPEN) continue;
      client.sendPrepared(message);
      sent++;
    }
    return sent;
  }

  /** Stops accepting, closes every connection with 1001, and resolves once the listener is closed. */
  close(code: number = CloseCode.GoingAway, reason = 'server shutting down'): Promise<void> {
    for (const socket of this.pending) socket.destroy();
    for (const client of this.clients) client.close(code, reason);
    const server = this.netServer;
    this.netServer = undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.emit('close');
        resolve();
      };
      if (server) server.close(done);
      else done();
    });
  }

  get address(): AddressInfo | undefined {
    return (this.netServer?.address() as AddressInfo | null) ?? undefined;
  }

  private complete(socket: Duplex, request: HttpRequestHead, head: Uint8Array): void {
    const o = this.options;
    const overloaded = this.limiter?.admit();
    if (overloaded) return this.reject(socket, overloaded, request);
    let accepted;
    try {
      accepted = acceptHandshake(request, this.handshakeOptions(request));
    } catch (error) {
      return this.reject(socket, asHandshakeError(error), request);
    }
    socket.write(accepted.response);
    (socket as Socket).setNoDelay?.(true);
    const options =
      accepted.extensions.length === 0 ? this.connection : { ...this.connection, extensions: accepted.extensions };
    const connection = new AcceptedConnection(
      socket,
      request,
      accepted.protocol,
      accepted.extensionsHeader,
      options,
      head,
    );
    if (o.accept) return o.accept(connection);
    this.emit('connection', new ServerWebSocket(connection, this.clients), request);
  }

  private handshakeOptions(request: HttpRequestHead): ServerHandshakeOptions {
    if (!this.deflate?.enabled || this.deflate.enabled(request)) return this.handshake;
    return { ...this.handshake, extensions: this.options.extensions ?? [] };
  }

  private reject(socket: Duplex, error: HandshakeError, request?: HttpRequestHead): void {
    // A peer that resets while we answer must not become an unhandled 'error'.
    socket.on('error', ignore);
    this.emit('rejected', error, request);
    if (socket.writable) socket.end(renderRejection(error));
    // Do not wait on a peer that will not read the answer.
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

function ignore(): void {}

/** Internal errors (a throwing callback) become a bare 500: their text never reaches the peer. */
function asHandshakeError(error: unknown): HandshakeError {
  if (error instanceof HandshakeError) return error;
  return new HandshakeError(ErrorCode.Internal, 500, 'internal error', {}, error);
}

function requestHeadOf(req: IncomingMessage): HttpRequestHead {
  const headers = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const prior = headers.get(name);
    headers.set(name, prior === undefined ? raw[i + 1] : `${prior}, ${raw[i + 1]}`);
  }
  return { method: req.method ?? 'GET', target: req.url ?? '/', version: `HTTP/${req.httpVersion}`, headers };
}
