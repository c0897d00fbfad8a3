/**
 * Incremental UTF-8 validation (RFC 3629, as the WHATWG decoder applies it) that
 * keeps its state across chunks and fragments, so a text message fails at the
 * first invalid byte instead of when it completes (RFC 6455 §8.1; Autobahn 6.x).
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  private pending = 0;
  /** Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4). */
  private lower = 0x80;
  private upper = 0xbf;

  /** Feeds `bytes[start, end)`. Returns false at the first byte that cannot be valid UTF-8. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    let i = start;
    let pending = this.pending;
    while (i < end) {
      if (pending === 0) {
        // ASCII fast path, four bytes per test.
        while (i + 4 <= end && ((bytes[i] | bytes[i + 1] | bytes[i + 2] | bytes[i + 3]) & 0x80) === 0) i += 4;
        if (i === end) break;
        const b = bytes[i++];
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) {
          pending = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0)
            this.lower = 0xa0; // overlong
          else if (b === 0xed) this.upper = 0x9f; // surrogates
          pending = 2;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0)
            this.lower = 0x90; // overlong
          else if (b === 0xf4) this.upper = 0x8f; // above U+10FFFF
          pending = 3;
        } else {
          this.pending = pending;
          return false;
        }
      } else {
        const b = bytes[i++];
        if (b < this.lower || b > this.upper) {
          this.pending = pending;
          return false;
        }
        this.lower = 0x80;
        this.upper = 0xbf;
        pending--;
      }
    }
    this.pending = pending;
    return true;
  }

  /** True when no code point is left open: the only state in which a message may end. */
  get complete(): boolean {
    return this.pending === 0;
  }

  reset(): void {
    this.pending = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }
}

/** One-shot validation of a complete buffer. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const v = new Utf8Validator();
  return v.update(bytes) && v.complete;
}
