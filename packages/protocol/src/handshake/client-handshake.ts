import { ErrorCode, HandshakeError } from '../errors.js';
import type { Extension } from '../extension.js';
import { computeAcceptKey, toBase64, type Sha1 } from './accept-key.js';
import { formatExtension, parseExtensionHeader, type ClientExtensionNegotiator } from './extension-header.js';
import { hasToken, isToken, type HttpResponseHead } from './http-head.js';

export interface ClientHandshakeOptions {
  /** Value of the Host header (host[:port]). */
  host: string;
  /** Request target: path and query. */
  path: string;
  protocols?: readonly string[];
  extensions?: readonly ClientExtensionNegotiator[];
  origin?: string;
  headers?: Readonly<Record<string, string>>;
  /** Fills the 16 nonce bytes of Sec-WebSocket-Key (§4.1: fresh and random per connection). */
  randomFill: (into: Uint8Array) => void;
}

export interface ClientHandshake {
  request: Uint8Array;
  key: string;
}

export interface ClientHandshakeResult {
  protocol: string;
  /** The connection's extension instances, in the order they apply. */
  extensions: Extension[];
  extensionsHeader: string;
}

/** Builds the opening handshake request (§4.1). */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  const nonce = new Uint8Array(16);
  options.randomFill(nonce);
  const key = toBase64(nonce);
  let head =
    `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (options.origin !== undefined) head += `Origin: ${options.origin}\r\n`;
  if (options.protocols && options.protocols.length > 0) {
    head += `Sec-WebSocket-Protocol: ${options.protocols.join(', ')}\r\n`;
  }
  const offers = (options.extensions ?? []).flatMap((n) => n.offer().map((params) => ({ name: n.name, params })));
  if (offers.length > 0) head += `Sec-WebSocket-Extensions: ${offers.map(formatExtension).join(', ')}\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {})) head += `${name}: ${value}\r\n`;
  return { request: new TextEncoder().encode(head + '\r\n'), key };
}

/** Validates the server's answer (§4.1, steps 1–6 of the client's checks); throws HandshakeError on any mismatch. */
export function verifyServerHandshake(
  response: HttpResponseHead,
  handshake: ClientHandshake,
  options: Pick<ClientHandshakeOptions, 'protocols' | 'extensions'>,
  sha1: Sha1,
): ClientHandshakeResult {
  const h = response.headers;
  if (response.status !== 101) {
    throw new HandshakeError(ErrorCode.UnexpectedStatus, response.status, `unexpected HTTP status ${response.status}`);
  }
  if (!hasToken(h.get('upgrade'), 'websocket') || !hasToken(h.get('connection'), 'upgrade')) {
    throw new HandshakeError(ErrorCode.NotUpgrade, 101, 'missing Upgrade/Connection headers in 101 response');
  }
  if (h.get('sec-websocket-accept') !== computeAcceptKey(handshake.key, sha1)) {
    throw new HandshakeError(ErrorCode.InvalidAccept, 101, 'Sec-WebSocket-Accept does not match the key');
  }
  const protocol = h.get('sec-websocket-protocol') ?? '';
  if (protocol !== '' && (!isToken(protocol) || !(options.protocols ?? []).includes(protocol))) {
    throw new HandshakeError(
      ErrorCode.UnexpectedSubprotocol,
      101,
      `server chose a subprotocol not offered: ${protocol}`,
    );
  }
  const extensionsHeader = h.get('sec-websocket-extensions') ?? '';
  const chosen = parseExtensionHeader(extensionsHeader || undefined);
  const seen = new Set<string>();
  const extensions: Extension[] = [];
  for (const ext of chosen) {
    const negotiator = options.extensions?.find((n) => n.name === ext.name);
    if (!negotiator || seen.has(ext.name)) {
      throw new HandshakeError(
        ErrorCode.UnexpectedExtension,
        101,
        `server chose an extension not offered: ${ext.name}`,
      );
    }
    seen.add(ext.name);
    extensions.push(negotiator.accept(ext.params));
  }
  return { protocol, extensions, extensionsHeader };
}
