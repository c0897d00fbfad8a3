/** One message of a long-polling session, numbered from 1 in send order. */
export interface PollFrame {
  seq: number;
  data: string;
}

/**
 * A long-polling session's messages until the client acknowledges them: a poll
 * with `cursor` = the last seq it has read drops those and gets the rest, so a
 * lost poll answer is sent again by the next poll, and every message is read
 * once, in order, across retries and node changes. Sans-I/O.
 */
export class PollOutbox {
  private frames: PollFrame[] = [];
  private nextSeq = 1;
  private bytes = 0;

  /** Bytes held (unacknowledged): the transport's `bufferedAmount`. */
  get bufferedAmount(): number {
    return this.bytes;
  }

  /** The last seq handed out. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  push(data: string): void {
    this.frames.push({ seq: this.nextSeq++, data });
    this.bytes += data.length;
  }

  /**
   * Drops frames up to `cursor` and returns those after it. A cursor ahead of what was sent is refused (undefined →
   * 400).
   */
  take(cursor: number): PollFrame[] | undefined {
    if (cursor > this.lastSeq) return undefined;
    let drop = 0;
    while (drop < this.frames.length && this.frames[drop].seq <= cursor) this.bytes -= this.frames[drop++].data.length;
    if (drop) this.frames = this.frames.slice(drop);
    return this.frames.slice();
  }

  get isEmpty(): boolean {
    return this.frames.length === 0;
  }
}
