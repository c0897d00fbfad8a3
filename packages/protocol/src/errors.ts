import { CloseCode } from './close-code.js';

/**
 * Stable machine-readable error codes. Each is listed in docs/error-codes.md
 * with the close code or HTTP status it leads to. Renaming one is a breaking change.
 */
export const ErrorCode = {
  // Framing, RFC 6455 §5
  ReservedOpcode: 'SB_ERR_RESERVED_OPCODE',
  ReservedBits: 'SB_ERR_RESERVED_BITS',
  UnmaskedFrame: 'SB_ERR_UNMASKED_FRAME',
  MaskedFrame: 'SB_ERR_MASKED_FRAME',
  ControlFrameTooLong: 'SB_ERR_CONTROL_FRAME_TOO_LONG',
  FragmentedControlFrame: 'SB_ERR_FRAGMENTED_CONTROL_FRAME',
  UnexpectedContinuation: 'SB_ERR_UNEXPECTED_CONTINUATION',
  ExpectedContinuation: 'SB_ERR_EXPECTED_CONTINUATION',
  LengthTooLarge: 'SB_ERR_LENGTH_TOO_LARGE',
  // Messages
  MessageTooBig: 'SB_ERR_MESSAGE_TOO_BIG',
  TooManyFragments: 'SB_ERR_TOO_MANY_FRAGMENTS',
  InvalidUtf8: 'SB_ERR_INVALID_UTF8',
  InvalidCompressedData: 'SB_ERR_INVALID_COMPRESSED_DATA',
  // Closing handshake, RFC 6455 §7
  InvalidClosePayload: 'SB_ERR_INVALID_CLOSE_PAYLOAD',
  InvalidCloseCode: 'SB_ERR_INVALID_CLOSE_CODE',
  // Handshake, RFC 6455 §4
  HeadTooLarge: 'SB_ERR_HEAD_TOO_LARGE',
  HandshakeTimeout: 'SB_ERR_HANDSHAKE_TIMEOUT',
  MalformedHttp: 'SB_ERR_MALFORMED_HTTP',
  MethodNotAllowed: 'SB_ERR_METHOD_NOT_ALLOWED',
  MissingHost: 'SB_ERR_MISSING_HOST',
  NotUpgrade: 'SB_ERR_NOT_UPGRADE',
  InvalidKey: 'SB_ERR_INVALID_KEY',
  UnsupportedVersion: 'SB_ERR_UNSUPPORTED_VERSION',
  ForbiddenOrigin: 'SB_ERR_FORBIDDEN_ORIGIN',
  SubprotocolRejected: 'SB_ERR_SUBPROTOCOL_REJECTED',
  InvalidExtensions: 'SB_ERR_INVALID_EXTENSIONS',
  UnexpectedStatus: 'SB_ERR_UNEXPECTED_STATUS',
  InvalidAccept: 'SB_ERR_INVALID_ACCEPT',
  UnexpectedSubprotocol: 'SB_ERR_UNEXPECTED_SUBPROTOCOL',
  UnexpectedExtension: 'SB_ERR_UNEXPECTED_EXTENSION',
  /** More handshakes than the accept rate allows: 503 with Retry-After. */
  Overloaded: 'SB_ERR_OVERLOADED',
  // Local API misuse
  InvalidState: 'SB_ERR_INVALID_STATE',
  InvalidArgument: 'SB_ERR_INVALID_ARGUMENT',
  /** A bug or a throwing callback on our side; details stay in local logs. */
  Internal: 'SB_ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error Switchboard raises: a stable `code`, and a `cause` where one exists. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/**
 * A violation by the peer once frames flow. `closeCode` is what we send; `reason`
 * is the short public text that goes in the close frame. `message` is for local
 * logs only and never reaches the peer.
 */
export class ProtocolError extends SwitchboardError {
  readonly closeCode: number;
  readonly reason: string;
  constructor(code: ErrorCode, closeCode: number, reason: string, message = reason) {
    super(code, message);
    this.name = 'ProtocolError';
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

/** A rejected opening handshake: the HTTP status we answer with (server) or saw (client). */
export class HandshakeError extends SwitchboardError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.name = 'HandshakeError';
    this.status = status;
    this.headers = headers;
  }
}

export function protocolError(code: ErrorCode, reason: string): ProtocolError {
  return new ProtocolError(code, CloseCode.ProtocolError, reason);
}
