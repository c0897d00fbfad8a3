import { ErrorCode, HandshakeError } from '../errors.js';
import type { Extension } from '../extension.js';
import { computeAcceptKey, isValidClientKey, type Sha1 } from './accept-key.js';
import {
  formatExtension,
  parseExtensionHeader,
  type ExtensionOffer,
  type ExtensionParam,
  type ServerExtensionNegotiator,
} from './extension-header.js';
import { hasToken, headerList, isToken, type HttpRequestHead } from './http-head.js';

export interface ServerHandshakeOptions {
  sha1: Sha1;
  /**
   * Picks one of the client's subprotocols (in its order of preference), or
   * returns null to proceed without one. @default the first offered one the
   * server lists in `protocols`, else none
   */
  selectSubprotocol?: (offered: readonly string[], request: HttpRequestHead) => string | null;
  /** Reject (400) a client that offers subprotocols when none is selected. @default false */
  requireSubprotocol?: boolean;
  /** Extension negotiators, in the server's order of preference. @default [] */
  extensions?: readonly ServerExtensionNegotiator[];
  /** Returns false to refuse the Origin (403). @default every origin is allowed */
  checkOrigin?: (origin: string | undefined, request: HttpRequestHead) => boolean;
  /** Extra headers for the 101 response. */
  headers?: Readonly<Record<string, string>>;
}

export interface AcceptedHandshake {
  /**
   * The full 101 response head, to be written as UTF-8 (a string, so a shell can write it without encoding it first).
   */
  response: string;
  protocol: string;
  /** The connection's extension instances, in the order they apply. */
  extensions: Extension[];
  /** The Sec-WebSocket-Extensions value we answered with ('' if none). */
  extensionsHeader: string;
}

/**
 * Validates a client's opening handshake (RFC 6455 §4.2.1) and builds the
 * answer (§4.2.2). Throws HandshakeError carrying the HTTP status to reply with.
 */
export function acceptHandshake(request: HttpRequestHead, options: ServerHandshakeOptions): AcceptedHandshake {
  const h = request.headers;
  if (request.method !== 'GET') {
    throw new HandshakeError(ErrorCode.MethodNotAllowed, 405, 'the opening handshake must be a GET', { Allow: 'GET' });
  }
  if (request.version !== 'HTTP/1.1') {
    const [major, minor] = request.version.slice(5).split('.').map(Number);
    if (major !== 1 || minor < 1)
      throw new HandshakeError(ErrorCode.MalformedHttp, 400, 'HTTP/1.1 or later is required');
  }
  if (!h.get('host')) throw new HandshakeError(ErrorCode.MissingHost, 400, 'missing Host header');
  if (!hasToken(h.get('upgrade'), 'websocket')) {
    throw new HandshakeError(ErrorCode.NotUpgrade, 426, 'this endpoint speaks WebSocket only', {
      Upgrade: 'websocket',
    });
  }
  if (!hasToken(h.get('connection'), 'upgrade')) {
    throw new HandshakeError(ErrorCode.NotUpgrade, 400, 'Connection header must include "Upgrade"');
  }
  // §4.4: answer an unsupported version with the versions we support.
  if (h.get('sec-websocket-version') !== '13') {
    throw new HandshakeError(ErrorCode.UnsupportedVersion, 426, 'unsupported WebSocket version; supported: 13', {
      'Sec-WebSocket-Version': '13',
    });
  }
  const key = h.get('sec-websocket-key');
  if (!isValidClientKey(key)) {
    throw new HandshakeError(ErrorCode.InvalidKey, 400, 'Sec-WebSocket-Key must be base64 of 16 bytes');
  }
  if (options.checkOrigin && !options.checkOrigin(h.get('origin'), request)) {
    throw new HandshakeError(ErrorCode.ForbiddenOrigin, 403, 'origin not allowed');
  }

  const offered = headerList(h.get('sec-websocket-protocol'));
  if (!offered.every(isToken)) {
    throw new HandshakeError(ErrorCode.MalformedHttp, 400, 'malformed Sec-WebSocket-Protocol header');
  }
  let protocol = '';
  if (offered.length > 0) {
    const chosen = options.selectSubprotocol?.(offered, request) ?? null;
    if (chosen !== null && !offered.includes(chosen)) {
      throw new Error(`selectSubprotocol returned "${chosen}", which the client did not offer`);
    }
    if (chosen === null && options.requireSubprotocol) {
      throw new HandshakeError(ErrorCode.SubprotocolRejected, 400, 'none of the offered subprotocols is supported');
    }
    protocol = chosen ?? '';
  }

  const offers = h.get('sec-websocket-extensions');
  const negotiated = offers === undefined ? [] : negotiateExtensions(parseExtensionHeader(offers), options.extensions);
  const extensionsHeader = negotiated.length === 0 ? '' : negotiated.map((n) => formatExtension(n.offer)).join(', ');
  const extensions = negotiated.map((n) => n.extension);

  let head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAcceptKey(key, options.sha1)}\r\n`;
  if (protocol) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensionsHeader) head += `Sec-WebSocket-Extensions: ${extensionsHeader}\r\n`;
  if (options.headers) for (const [name, value] of Object.entries(options.headers)) head += `${name}: ${value}\r\n`;
  return { response: head + '\r\n', protocol, extensions, extensionsHeader };
}

function negotiateExtensions(
  offers: ExtensionOffer[],
  negotiators: readonly ServerExtensionNegotiator[] = [],
): { offer: ExtensionOffer; extension: Extension }[] {
  const accepted: { offer: ExtensionOffer; extension: Extension }[] = [];
  for (const negotiator of negotiators) {
    const forThis: ExtensionParam[][] = offers.filter((o) => o.name === negotiator.name).map((o) => o.params);
    if (forThis.length === 0) continue;
    const result = negotiator.negotiate(forThis);
    if (result !== null)
      accepted.push({ offer: { name: negotiator.name, params: result.response }, extension: result.extension });
  }
  return accepted;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Renders a rejection as a complete HTTP response that closes the connection. The body is the public reason. */
export function renderRejection(error: HandshakeError): Uint8Array {
  const body = `${error.message}\n`;
  let head =
    `HTTP/1.1 ${error.status} ${STATUS_TEXT[error.status] ?? 'Error'}\r\n` +
    'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${new TextEncoder().encode(body).length}\r\n` +
    `X-Switchboard-Error: ${error.code}\r\n`;
  for (const [name, value] of Object.entries(error.headers)) head += `${name}: ${value}\r\n`;
  return new TextEncoder().encode(`${head}\r\n${body}`);
}
