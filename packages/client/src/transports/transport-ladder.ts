import type { TransportName } from './client-transport.js';

/**
 * Which transport to try next (sans-I/O). Until one has worked, a transport
 * that fails before it opens hands over at once to the next one down; past the
 * last, the ladder starts over from the top, after the normal backoff, so
 * zero-delay steps are bounded by the ladder's length. Once a transport has
 * worked the client stays on it (normal backoff). A probe may move it back up
 * (`moveUp`); if the better transport then fails before opening, the ladder
 * returns to the one that worked, once, at once.
 */
export class TransportLadder {
  private index = 0;
  private worked: number | undefined;

  constructor(readonly names: readonly TransportName[]) {
    if (names.length === 0) throw new TypeError('Client: transports must name at least one transport');
  }

  get current(): TransportName {
    return this.names[this.index];
  }

  /** The transport opened (or the server answered on it): stay on it. */
  opened(): void {
    this.worked = this.index;
  }

  /** The current transport failed before opening. True: try `current` now, with no delay. */
  failedBeforeOpen(): boolean {
    if (this.worked !== undefined) {
      if (this.index === this.worked) return false;
      this.index = this.worked;
      return true;
    }
    if (this.index + 1 < this.names.length) {
      this.index++;
      return true;
    }
    this.index = 0;
    return false;
  }

  /** A better transport than the one that worked, to probe; undefined at the top. */
  get better(): TransportName | undefined {
    return this.worked !== undefined && this.worked > 0 ? this.names[0] : undefined;
  }

  /** The probe of `better` succeeded: the next connection uses it. */
  moveUp(): void {
    this.index = 0;
  }
}
