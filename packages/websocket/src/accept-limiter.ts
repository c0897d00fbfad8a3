import { ErrorCode, HandshakeError } from '@switchboard/protocol';

export interface AcceptRateOptions {
  /** Handshakes per second, sustained. */
  perSecond: number;
  /** Handshakes allowed at once after a quiet period. @default perSecond */
  burst?: number;
}

/**
 * A token bucket on opening handshakes. The excess gets 503 with a Retry-After
 * that grows with the backlog it has refused in the last second: clients told
 * to come back are spread over the time the bucket needs to serve them.
 */
export class AcceptLimiter {
  private tokens: number;
  private readonly burst: number;
  private last = performance.now();
  private refusedRecently = 0;

  constructor(private readonly options: AcceptRateOptions) {
    this.burst = options.burst ?? options.perSecond;
    if (!(options.perSecond > 0 && this.burst >= 1))
      throw new TypeError('WebSocketServer option acceptRate needs perSecond > 0 and burst ≥ 1');
    this.tokens = this.burst;
  }

  /** Undefined when the handshake may go on; else the 503 to answer. */
  admit(): HandshakeError | undefined {
    const now = performance.now();
    const elapsed = (now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.options.perSecond);
    this.refusedRecently = Math.max(0, this.refusedRecently - elapsed * this.options.perSecond);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    this.refusedRecently++;
    const retryAfter = Math.ceil(this.refusedRecently / this.options.perSecond);
    return new HandshakeError(ErrorCode.Overloaded, 503, 'too many connections being opened; retry later', {
      'Retry-After': String(Math.max(1, retryAfter)),
    });
  }
}
