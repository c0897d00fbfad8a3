/** What a bench could not do: open a connection (TCP, handshake or `connect`), or subscribe once open. */
export type BenchAbortStage = 'connect' | 'subscribe';

/**
 * A bench that would measure nothing stops before it publishes, with this error: its probe connection
 * failed, or none of its connections opened. `code` is the failure's label as in `BenchResult.errors`
 * (`ECONNREFUSED`, `http-404`, `reply-102`…); the message is one line for people.
 */
export class BenchAbortedError extends Error {
  override name = 'BenchAbortedError';
  constructor(
    readonly stage: BenchAbortStage,
    readonly code: string,
    /** The failure in words, e.g. `102 unknown namespace`, `ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)`. */
    reason: string,
    /** The target that failed, as a ws:// URL; absent when failures were spread over several. */
    readonly target?: string,
  ) {
    super(
      stage === 'subscribe'
        ? `every subscribe failed with ${reason}`
        : `every connection failed${target ? ` to ${target}` : ''}: ${reason}`,
    );
  }
}
