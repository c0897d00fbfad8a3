import { CodedError, ReplyErrorCode } from '@switchboard/wire';
import type { ControlHandler, ControlMessage } from './control-bus.js';

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

/** Why a `ControlBus.request` failed; stable, listed in docs/error-codes.md. */
export const ControlRequestErrorCode = {
  /** No answer within `timeoutMs`; the target's handler may still have run. */
  Timeout: 'SB_ERR_CONTROL_TIMEOUT',
  /** No node of that id is on the bus. */
  NoSuchNode: 'SB_ERR_CONTROL_NO_NODE',
  /** The target's `onRequest` threw, or it has none. */
  HandlerFailed: 'SB_ERR_CONTROL_HANDLER',
} as const;
export type ControlRequestErrorCode = (typeof ControlRequestErrorCode)[keyof typeof ControlRequestErrorCode];

/** A node-to-node request that got no result. Only the message of a handler's error crosses the bus. */
export class ControlRequestError extends Error {
  override name = 'ControlRequestError';

  constructor(
    readonly code: ControlRequestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Runs a handler's `onRequest` and turns its outcome into a result or the error to send back. */
export async function answerControlRequest(
  handler: ControlHandler,
  message: ControlMessage,
): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  if (!handler.onRequest) return { ok: false, error: `this node does not answer requests (type ${message.type})` };
  try {
    return { ok: true, result: await handler.onRequest(message) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
