/**
 * Runs one append per channel at a time within this node. JetStream's expected
 * last sequence lets only one of the concurrent appends to a channel win, so
 * publishers on one node racing each other would only multiply retries, and
 * with enough of them one could lose every round. Queued here, a channel's
 * contenders are the nodes, not the publishers, and one node's publishes take
 * offsets in the order they were made.
 */
export class AppendQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(channel: string, append: () => Promise<T>): Promise<T> {
    const before = this.tails.get(channel);
    const result = before ? before.then(append, append) : append();
    const tail = result.catch(() => undefined);
    this.tails.set(channel, tail);
    // Forget the channel once its last append settles, so idle channels cost nothing.
    void tail.then(() => {
      if (this.tails.get(channel) === tail) this.tails.delete(channel);
    });
    return result;
  }
}
