/**
 * Reply errors: the answer to one command that failed. 100–399 belong to
 * Switchboard; 400–1999 are the application's (RPC and hook errors). `temporary`
 * tells the client a retry may succeed. Listed in docs/error-codes.md.
 */
export const ReplyErrorCode = {
  Internal: 100,
  Unauthorized: 101,
  UnknownChannel: 102,
  PermissionDenied: 103,
  MethodNotFound: 104,
  AlreadySubscribed: 105,
  LimitExceeded: 106,
  BadRequest: 107,
  NotAvailable: 108,
  TokenExpired: 109,
  TooManyRequests: 111,
  UnrecoverablePosition: 112,
  NotSubscribed: 113,
  Timeout: 114,
  /** The engine's backend (Redis, NATS) is unreachable; temporary. */
  EngineUnavailable: 115,
  /** The application's backend (a proxy) timed out, answered 5xx or could not be reached; temporary. */
  BackendUnavailable: 116,
} as const;
export type ReplyErrorCode = (typeof ReplyErrorCode)[keyof typeof ReplyErrorCode];

/**
 * An error with a stable code from these spaces and a `temporary` flag (a retry
 * may succeed): the server's `CommandError` and the client's `ClientError`.
 */
export class CodedError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly temporary = false,
  ) {
    super(message);
  }
}

export interface ReplyError {
  code: number;
  message: string;
  temporary?: boolean;
}

/**
 * Disconnect codes: WebSocket close codes in the private range, grouped so a
 * client knows what to do without knowing each code (docs/error-codes.md):
 * - 3000–3399 reconnect (Switchboard), 3400–3499 try later, honouring the
 *   server's reconnect-after window, 3500–3999 terminal (Switchboard);
 * - 4000–4499 reconnect (application), 4500–4999 terminal (application).
 */
export const DisconnectCode = {
  // Reconnect
  Shutdown: 3001,
  BadRequest: 3002,
  InternalError: 3003,
  Expired: 3005,
  SubscriptionExpired: 3006,
  Stale: 3007,
  SlowConsumer: 3008,
  WriteError: 3009,
  InsufficientState: 3010,
  ForceReconnect: 3011,
  NoPong: 3012,
  // Try later
  TooManyConnections: 3400,
  Draining: 3401,
  // Terminal
  InvalidToken: 3500,
  BadProtocol: 3501,
  Unauthorized: 3502,
  ForceNoReconnect: 3503,
  ConnectionLimit: 3504,
  MessageSizeLimit: 3505,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

export const ReconnectAdvice = { Reconnect: 'reconnect', TryLater: 'try-later', Terminal: 'terminal' } as const;
export type ReconnectAdvice = (typeof ReconnectAdvice)[keyof typeof ReconnectAdvice];

/**
 * What a client should do after a close with `code`. Transport-level codes
 * (1000–2999, including 1006) and unknown ones mean reconnect.
 */
export function reconnectAdvice(code: number): ReconnectAdvice {
  if ((code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999)) return ReconnectAdvice.Terminal;
  if (code >= 3400 && code <= 3499) return ReconnectAdvice.TryLater;
  return ReconnectAdvice.Reconnect;
}

/** A server's "come back between minMs and maxMs from now" (drains, overload). */
export interface ReconnectWindow {
  minMs: number;
  maxMs: number;
}

const RECONNECT_AFTER = /(?:^|[;\s])reconnect-after=(\d+)(?:-(\d+))?(?:$|[;\s])/;

/**
 * Puts a reconnect window in a close reason, as `…; reconnect-after=MIN-MAX`
 * (ms), so that every client sees it, browsers included, without a push first.
 */
export function withReconnectAfter(reason: string, window: ReconnectWindow): string {
  const hint = `reconnect-after=${Math.round(window.minMs)}-${Math.round(window.maxMs)}`;
  return reason ? `${reason}; ${hint}` : hint;
}

/**
 * The window in a close reason, if any. A single value `reconnect-after=D` means "not before D": the window [D, 2D].
 */
export function parseReconnectAfter(reason: string): ReconnectWindow | undefined {
  const m = RECONNECT_AFTER.exec(reason);
  if (!m) return undefined;
  const minMs = Number(m[1]);
  const maxMs = m[2] === undefined ? 2 * minMs : Number(m[2]);
  return maxMs >= minMs ? { minMs, maxMs } : undefined;
}
