/** What `UpstreamOrder.offer` did with a batch. */
export type OfferOutcome =
  /** Applied now, with any later batches it unblocked. */
  | 'applied'
  /** Held until the batches before it arrive. */
  | 'queued'
  /** Already applied or already held: a retry, ignored. */
  | 'duplicate'
  /** Beyond the reorder window: refused (409), the client must not run that far ahead. */
  | 'too-far';

/**
 * Applies a session's upstream batches in `seq` order (1, 2, 3…), each exactly
 * once, whatever order POSTs arrive in and however often they are retried.
 * Sans-I/O: `apply` is called synchronously, in order. At most `window` batches
 * are held, so a forged far-ahead seq costs no memory.
 */
export class UpstreamOrder<T> {
  /** The next seq to apply. */
  private next = 1;
  private readonly held = new Map<number, T>();

  constructor(
    private readonly apply: (batch: T) => void,
    private readonly window = 64,
  ) {}

  /** The highest seq applied so far. */
  get applied(): number {
    return this.next - 1;
  }

  offer(seq: number, batch: T): OfferOutcome {
    if (seq < this.next || this.held.has(seq)) return 'duplicate';
    if (seq >= this.next + this.window) return 'too-far';
    if (seq !== this.next) {
      this.held.set(seq, batch);
      return 'queued';
    }
    this.apply(batch);
    this.next++;
    for (let b = this.held.get(this.next); b !== undefined; b = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.apply(b);
      this.next++;
    }
    return 'applied';
  }
}
