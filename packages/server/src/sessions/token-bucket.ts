/** A token-bucket rate: `perSecond` tokens refilled, at most `burst` saved up. */
export interface RateOptions {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket on the caller's clock (ms): `take()` spends one token or says
 * no. Two numbers of state, so one per connection costs nothing to speak of.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: RateOptions,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
