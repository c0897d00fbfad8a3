import { CodedError, ReplyErrorCode, type ReplyError } from '@switchboard/wire';

/**
 * A command failed in a way the client may know about. Hooks throw it with an
 * application code (400–1999); the server uses the library codes (100–399).
 * Anything else thrown while handling a command becomes 100 Internal, and its
 * details stay in the server's log.
 */
export class CommandError extends CodedError {
  override name = 'CommandError';
}

/** Thrown by hooks (e.g. `onConnecting`) to end the connection with a disconnect code instead of a reply error. */
export class DisconnectError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    /** `cause` is for the server's log; only `code` and `reason` reach the client. */
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'DisconnectError';
  }
}

export const commandErrors = {
  unknownChannel: (ns: string) => new CommandError(ReplyErrorCode.UnknownChannel, `unknown namespace "${ns}"`),
  permissionDenied: (why = 'permission denied') => new CommandError(ReplyErrorCode.PermissionDenied, why),
  notAvailable: (what: string) =>
    new CommandError(ReplyErrorCode.NotAvailable, `${what} is not enabled for this namespace`),
  limit: (what: string) => new CommandError(ReplyErrorCode.LimitExceeded, what),
  notSubscribed: () => new CommandError(ReplyErrorCode.NotSubscribed, 'not subscribed to this channel'),
  badRequest: (why: string) => new CommandError(ReplyErrorCode.BadRequest, why),
};

/** Any failure as the reply a client may see: internal details never leave the server. */
export function toReplyError(error: unknown): ReplyError {
  // CommandError, or a typed error from below (the engine's 115 EngineUnavailable).
  if (error instanceof CodedError)
    return error.temporary
      ? { code: error.code, message: error.message, temporary: true }
      : { code: error.code, message: error.message };
  const replyCode = (error as { replyCode?: number } | null)?.replyCode;
  if (typeof replyCode === 'number') return { code: replyCode, message: (error as Error).message };
  return { code: ReplyErrorCode.Internal, message: 'internal error', temporary: true };
}
