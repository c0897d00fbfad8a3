const EMPTY = new Uint8Array(0);

/**
 * A growable byte buffer, empty (and allocation-free) until the first append. Capacity doubles but never past `limit`,
 * so memory is bounded by the bytes actually received (at most 2×), never by a length a peer
 * merely announced.
 */
export class ByteAccumulator {
  private buffer: Uint8Array = EMPTY;
  private used = 0;

  get length(): number {
    return this.used;
  }

  append(chunk: Uint8Array, limit: number): void {
    const needed = this.used + chunk.length;
    if (needed > this.buffer.length) {
      let capacity = Math.max(this.buffer.length * 2, 256);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(Math.max(needed, Math.min(capacity, limit)));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.used);
    this.used = needed;
  }

  /** Hands over the bytes and empties the accumulator. */
  take(): Uint8Array {
    const out = this.buffer.subarray(0, this.used);
    this.buffer = EMPTY;
    this.used = 0;
    return out;
  }
}
