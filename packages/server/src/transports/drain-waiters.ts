/**
 * Callers of `Transport.onceDrained` waiting for a transport's backlog to be
 * taken: each is called once, on the next release.
 */
export class DrainWaiters {
  private waiting: (() => void)[] = [];

  /** Adds a waiter; true when it is the first, so the caller arms its drain signal once. */
  add(listener: () => void): boolean {
    this.waiting.push(listener);
    return this.waiting.length === 1;
  }

  /** Calls (and forgets) everyone waiting. */
  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const listener of waiting) listener();
  }
}
