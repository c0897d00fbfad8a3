/**
 * @switchboard/protocol: a sans-I/O WebSocket codec (RFC 6455).
 * `Uint8Array` in, events and bytes out; no sockets, timers or platform imports.
 */
export { Opcode, isControlOpcode, isKnownOpcode } from './opcode.js';
export { CloseCode, isValidWireCloseCode } from './close-code.js';
export { ErrorCode, SwitchboardError, ProtocolError, HandshakeError } from './errors.js';
export type { Frame, FrameHeader, MaskSource, Role } from './frame.js';
export type { Extension, MessageDecoder, AcceptedExtension } from './extension.js';
export {
  PerMessageDeflate,
  serverPerMessageDeflate,
  clientPerMessageDeflate,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
  type DeflateParams,
  type DeflateCodec,
  type RawDeflate,
  type RawInflate,
} from './permessage-deflate.js';
export { Rsv } from './frame.js';
export { applyMask } from './mask.js';
export { Utf8Validator, isValidUtf8 } from './utf8-validator.js';
export { FrameParser, ParserState, type FrameSink, type FrameParserOptions } from './frame-parser.js';
export { serializeFrame, frameHeaderLength, prepareFrame, type PreparedFrame } from './frame-serializer.js';
export {
  parseClosePayload,
  encodeClosePayload,
  truncateUtf8,
  MAX_CLOSE_REASON_BYTES,
  type ClosePayload,
} from './close-payload.js';
export {
  ProtocolConnection,
  ConnectionState,
  PROTOCOL_DEFAULTS,
  resolveConnectionOptions,
  type ResolvedConnectionOptions,
  type ProtocolConnectionOptions,
  type ConnectionEvent,
  type ConnectionHandler,
  type SendOptions,
} from './protocol-connection.js';
export {
  HttpHeadReader,
  parseRequestHead,
  parseResponseHead,
  headerList,
  hasToken,
  isToken,
  DEFAULT_MAX_HEADER_BYTES,
  type HttpRequestHead,
  type HttpResponseHead,
  type HeadResult,
} from './handshake/http-head.js';
export {
  parseExtensionHeader,
  formatExtension,
  type ExtensionParam,
  type ExtensionOffer,
  type ServerExtensionNegotiator,
  type ClientExtensionNegotiator,
} from './handshake/extension-header.js';
export { computeAcceptKey, isValidClientKey, WEBSOCKET_GUID, type Sha1 } from './handshake/accept-key.js';
export {
  acceptHandshake,
  renderRejection,
  type ServerHandshakeOptions,
  type AcceptedHandshake,
} from './handshake/server-handshake.js';
export {
  createClientHandshake,
  verifyServerHandshake,
  type ClientHandshakeOptions,
  type ClientHandshake,
  type ClientHandshakeResult,
} from './handshake/client-handshake.js';
