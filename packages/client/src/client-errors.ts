import { CodedError, ReplyErrorCode } from '@switchboard/wire';

/**
 * Codes of errors the client raises itself (1–99). Errors from the server keep
 * their reply codes (100–1999, docs/error-codes.md); a timeout uses the server's 114.
 */
export const ClientErrorCode = {
  /** The client is closed (`disconnect()` or a terminal code); queued commands fail with it. */
  Closed: 1,
  /** Sent, but the connection dropped before the reply: the outcome is unknown. */
  ConnectionLost: 2,
  /** The outgoing queue (commands made while disconnected) is full. */
  QueueFull: 3,
  /** `getSnapshot` failed; the subscription retries with backoff. */
  SnapshotFailed: 4,
  /** A `for await` consumer fell more than `bufferSize` publications behind. */
  StreamOverflow: 5,
  /** `getToken` failed; the client retries with backoff. */
  TokenUnavailable: 6,
  /** No reply in time (the client's `timeoutMs`, or the server's RPC timeout). */
  Timeout: ReplyErrorCode.Timeout,
} as const;

/** A failed command or client operation, with a stable code. `temporary`: a retry may succeed. */
export class ClientError extends CodedError {
  override name = 'ClientError';
}
