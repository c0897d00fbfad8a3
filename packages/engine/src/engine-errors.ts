import { CodedError, ReplyErrorCode } from '@switchboard/wire';

/**
 * The engine's backend (Redis, NATS) cannot be reached or did not answer in
 * time. Temporary: the command may be retried (idempotently, for a publish), and
 * the connection stays up. Clients get reply 115, the HTTP API 503.
 */
export class EngineUnavailableError extends CodedError {
  override name = 'EngineUnavailableError';

  constructor(what: string, options?: { cause?: unknown }) {
    super(ReplyErrorCode.EngineUnavailable, `engine unavailable: ${what}`, true);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
