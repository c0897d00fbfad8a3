import { connect as netConnect, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import {
  CloseCode,
  HttpHeadReader,
  createClientHandshake,
  clientPerMessageDeflate,
  isToken,
  parseResponseHead,
  resolveConnectionOptions,
  verifyServerHandshake,
  type ClientExtensionNegotiator,
  type DeflateCodec,
  type Extension,
  type PerMessageDeflateOptions,
} from '@switchboard/protocol';
import { defaultDeflateCodec } from './node-deflate-codec.js';
import { toBytes } from './buffers.js';
import { assertPositiveIntegers } from './options.js';
import { CloseEvent, ErrorEvent } from './events.js';
import { createMaskSource, randomFill, sha1 } from './node-crypto.js';
import { readHead, type HeadOutcome } from './read-head.js';
import { SocketShell, type CloseInfo, type ShellListener } from './socket-shell.js';

/** Node-only options (the third constructor argument); browsers' code never passes it. */
export interface WebSocketOptions {
  /** Extra request headers, e.g. a cookie or authorization. */
  headers?: Readonly<Record<string, string>>;
  /** Origin header to send (browsers always send one; Node sends none by default). */
  origin?: string;
  /** TLS options for wss:// (ca, cert, rejectUnauthorized…). */
  tls?: TlsOptions;
  /** Supplies the transport instead of TCP/TLS: any Duplex, e.g. an HTTP/2 stream or an in-memory pair. */
  createConnection?: (url: URL) => Duplex;
  /** Largest message accepted; larger → close 1009. @default 64 MiB */
  maxMessageSize?: number;
  /** Fail the connection if the opening handshake takes longer. @default 30000 */
  handshakeTimeout?: number;
  /** Wait this long for the server to close TCP after the closing handshake. @default 5000 */
  closeTimeout?: number;
  /**
   * Stop reading while more than this many bytes wait to be sent (e.g. pongs to a peer that does not read). @default 1
   * MiB
   */
  highWaterMark?: number;
  /** Read again once the backlog falls to this many bytes. @default 256 KiB */
  lowWaterMark?: number;
  /** Extension negotiators to offer, before permessage-deflate. @default [] */
  extensions?: readonly ClientExtensionNegotiator[];
  /** Offer permessage-deflate (RFC 7692), as browsers do. `false` turns it off. @default true */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & { codec?: DeflateCodec });
}

type BinaryType = 'blob' | 'arraybuffer';
type Handler = ((this: WebSocket, event: any) => unknown) | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A WHATWG WebSocket (https://websockets.spec.whatwg.org/) for Node, on the
 * Switchboard core. Code written for browsers runs unchanged; Node callers
 * may pass a third options argument. Also dispatches 'ping' and 'pong'
 * MessageEvents, which browsers do not expose.
 */
export class WebSocket extends EventTarget implements ShellListener {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  readonly url: string;
  protocol = '';
  extensions = '';
  readyState: number = CONNECTING;
  private type: BinaryType = 'blob';
  private shell: SocketShell | undefined;
  private socket: Duplex | undefined;
  private discarded = 0;
  private pendingBlobs: Promise<void> = Promise.resolve();
  private blobsInFlight = 0;
  private readonly handlers = new Map<string, Handler>();
  private readonly origin: string;

  constructor(url: string | URL, protocols: string | string[] = [], options: WebSocketOptions = {}) {
    super();
    assertPositiveIntegers('WebSocket', options, ['handshakeTimeout', 'closeTimeout']);
    const { maxMessageSize } = resolveConnectionOptions({
      role: 'client',
      maskSource: () => {},
      maxMessageSize: options.maxMessageSize,
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
    });
    const deflate =
      options.perMessageDeflate === false
        ? undefined
        : options.perMessageDeflate === true
          ? {}
          : (options.perMessageDeflate ?? {});
    const negotiators = [...(options.extensions ?? [])];
    if (deflate)
      negotiators.push(clientPerMessageDeflate(deflate, deflate.codec ?? defaultDeflateCodec, maxMessageSize));
    const parsed = parseWebSocketUrl(url);
    this.url = parsed.href;
    this.origin = parsed.origin;
    const list = typeof protocols === 'string' ? [protocols] : [...protocols];
    if (new Set(list).size !== list.length || !list.every(isToken)) {
      throw new DOMException('invalid or duplicate subprotocol', 'SyntaxError');
    }
    this.connect(parsed, list, options, negotiators);
  }

  get binaryType(): BinaryType {
    return this.type;
  }

  set binaryType(value: BinaryType) {
    if (value === 'blob' || value === 'arraybuffer') this.type = value;
  }

  get bufferedAmount(): number {
    return (this.shell?.bufferedAmount ?? 0) + this.discarded;
  }

  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.readyState === CONNECTING) throw new DOMException('still connecting', 'InvalidStateError');
    if (data instanceof Blob) {
      this.sendBlob(data);
      return;
    }
    const bytes = toBytes(data as string | ArrayBuffer | ArrayBufferView);
    if (this.blobsInFlight > 0) {
      // Keep message order behind a Blob still being read.
      this.pendingBlobs = this.pendingBlobs.then(() => this.sendBytes(bytes, typeof data !== 'string'));
    } else {
      this.sendBytes(bytes, typeof data !== 'string');
    }
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== CloseCode.Normal && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`close code must be 1000 or in 3000–4999, got ${code}`, 'InvalidAccessError');
    }
    if (reason !== undefined && Buffer.byteLength(reason) > 123) {
      throw new DOMException('close reason must be at most 123 bytes of UTF-8', 'SyntaxError');
    }
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.readyState = CLOSING;
      this.socket?.destroy();
      return;
    }
    this.readyState = CLOSING;
    this.shell?.close(code ?? (reason ? CloseCode.Normal : undefined), reason ?? '');
  }

  /** Node-only (browsers cannot send pings): sends a ping; the answer arrives as a 'pong' event. */
  ping(data: string | ArrayBufferView = ''): void {
    if (this.readyState !== OPEN || !this.shell) throw new DOMException('not open', 'InvalidStateError');
    this.shell.protocol.ping(toBytes(data));
  }

  // --- on<event> attributes (WHATWG event handler IDL attributes) -------------------

  get onopen(): Handler {
    return this.getHandler('open');
  }
  set onopen(fn: Handler) {
    this.setHandler('open', fn);
  }
  get onmessage(): Handler {
    return this.getHandler('message');
  }
  set onmessage(fn: Handler) {
    this.setHandler('message', fn);
  }
  get onerror(): Handler {
    return this.getHandler('error');
  }
  set onerror(fn: Handler) {
    this.setHandler('error', fn);
  }
  get onclose(): Handler {
    return this.getHandler('close');
  }
  set onclose(fn: Handler) {
    this.setHandler('close', fn);
  }

  private getHandler(type: string): Handler {
    return this.handlers.get(type) ?? null;
  }

  /** The listener is registered once, at the first assignment, so it keeps its place among addEventListener calls. */
  private setHandler(type: string, fn: Handler): void {
    if (!this.handlers.has(type)) {
      this.addEventListener(type, (event) => this.handlers.get(type)?.call(this, event));
    }
    this.handlers.set(type, typeof fn === 'function' ? fn : null);
  }

  // --- ShellListener -------------------------------------------------------------------

  /** @internal */
  onMessage(data: Buffer, binary: boolean): void {
    let payload: string | ArrayBuffer | Blob;
    if (!binary) payload = data.toString('utf8');
    else if (this.type === 'arraybuffer')
      payload = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
    else payload = new Blob([data]);
    this.dispatchEvent(new MessageEvent('message', { data: payload, origin: this.origin }));
  }

  /** @internal */
  onPing(data: Buffer): void {
    this.dispatchEvent(new MessageEvent('ping', { data: new Uint8Array(data) }));
  }

  /** @internal */
  onPong(data: Buffer): void {
    this.dispatchEvent(new MessageEvent('pong', { data: new Uint8Array(data) }));
  }

  /** @internal */
  onError(): void {
    if (this.readyState === OPEN) this.readyState = CLOSING;
  }

  /** @internal */
  onClosing(): void {
    this.readyState = CLOSING;
  }

  /** @internal */
  onClosed(info: CloseInfo): void {
    this.readyState = CLOSED;
    // WHATWG: without a received close frame the code is 1006 and an error event comes first.
    if (!info.wasClean)
      this.dispatchEvent(new ErrorEvent('error', { message: 'connection failed', error: info.failure }));
    this.dispatchEvent(
      new CloseEvent('close', {
        code: info.wasClean ? info.code : CloseCode.Abnormal,
        reason: info.wasClean ? info.reason : '',
        wasClean: info.wasClean,
      }),
    );
  }

  // --- internals -------------------------------------------------------------------------

  private sendBytes(bytes: Buffer, binary: boolean): void {
    if (this.readyState !== OPEN || !this.shell || this.shell.protocol.closeSent) {
      this.discarded += bytes.length;
      return;
    }
    this.shell.protocol.send(bytes, { binary });
  }

  private sendBlob(blob: Blob): void {
    this.blobsInFlight++;
    this.pendingBlobs = this.pendingBlobs
      .then(() => blob.arrayBuffer())
      .then((buffer) => this.sendBytes(Buffer.from(buffer), true))
      .finally(() => this.blobsInFlight--);
  }

  private connect(
    url: URL,
    protocols: string[],
    options: WebSocketOptions,
    negotiators: ClientExtensionNegotiator[],
  ): void {
    const secure = url.protocol === 'wss:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : secure ? 443 : 80;
    const socket =
      options.createConnection?.(url) ??
      (secure
        ? tlsConnect({
            host,
            port,
            servername: isIP(host) ? undefined : host,
            ALPNProtocols: ['http/1.1'],
            ...options.tls,
          })
        : netConnect({ host, port }));
    this.socket = socket;
    (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

    const handshake = createClientHandshake({
      host: url.host,
      path: url.pathname + url.search,
      protocols,
      extensions: negotiators,
      origin: options.origin,
      headers: options.headers,
      randomFill,
    });
    readHead(socket, new HttpHeadReader(parseResponseHead), options.handshakeTimeout ?? 30_000, (outcome) => {
      if (outcome.type !== 'head') return this.failHandshake(socket, handshakeFailure(outcome));
      let accepted;
      try {
        accepted = verifyServerHandshake(outcome.head, handshake, { protocols, extensions: negotiators }, sha1);
      } catch (error) {
        return this.failHandshake(socket, error);
      }
      this.protocol = accepted.protocol;
      this.extensions = accepted.extensionsHeader;
      this.open(socket, options, outcome.rest, accepted.extensions);
    });
    socket.write(handshake.request);
  }

  private failHandshake(socket: Duplex, error: unknown): void {
    socket.destroy();
    this.readyState = CLOSED;
    this.dispatchEvent(new ErrorEvent('error', { message: 'WebSocket handshake failed', error }));
    this.dispatchEvent(new CloseEvent('close', { code: CloseCode.Abnormal, reason: '', wasClean: false }));
  }

  private open(socket: Duplex, options: WebSocketOptions, rest: Uint8Array, extensions: Extension[]): void {
    // As in browsers, messages are dispatched in a later task than 'open', so code that
    // awaits 'open' before adding listeners misses nothing. Reading stays paused until then.
    socket.pause();
    this.shell = new SocketShell(
      socket,
      {
        role: 'client',
        maskSource: createMaskSource(),
        maxMessageSize: options.maxMessageSize,
        closeTimeout: options.closeTimeout,
        highWaterMark: options.highWaterMark,
        lowWaterMark: options.lowWaterMark,
        extensions,
      },
      this,
    );
    if (this.readyState === CONNECTING) this.readyState = OPEN;
    this.dispatchEvent(new Event('open'));
    const shell = this.shell;
    setImmediate(() => shell.start(rest));
  }
}

function handshakeFailure(outcome: Exclude<HeadOutcome<unknown>, { type: 'head' }>): unknown {
  if (outcome.type === 'invalid') return outcome.error;
  if (outcome.type === 'timeout') return new Error('opening handshake timed out');
  return outcome.error ?? new Error('connection closed during the opening handshake');
}

/** WHATWG "WebSocket constructor" URL steps: http(s) map to ws(s); anything else, or a fragment, is a SyntaxError. */
function parseWebSocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new DOMException(`invalid URL: ${String(input)}`, 'SyntaxError');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new DOMException(`URL scheme must be ws or wss, got ${url.protocol}`, 'SyntaxError');
  }
  if (url.hash) throw new DOMException('URL must not contain a fragment', 'SyntaxError');
  return url;
}
