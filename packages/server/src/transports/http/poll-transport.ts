import type { JsonCodec, Push, Reply } from '@switchboard/wire';
import { encodeMessage, type FrameCache, type SharedMessage } from '../transport.js';
import { EmulatedTransport } from './emulated-transport.js';
import { PollOutbox, type PollFrame } from './poll-outbox.js';

const text = new TextDecoder();
/** A shared message as poll frames carry it: decoded to text once for every long-poll session. */
const TEXT: FrameCache<string> = { frame: (message) => text.decode(message.bytes) };

/** A poll's answer: the frames after its cursor, and whether the session has ended (then there will be no more). */
export interface PollAnswer {
  frames: PollFrame[];
  closed: boolean;
}

/**
 * Long-polling: the session's messages wait in an outbox until a poll takes
 * them (poll-outbox.ts). One poll is held at a time for up to its `waitMs`; a
 * newer poll answers the held one at once (empty), so retries never stack.
 * The session's end is the last frame `{"close":{"code","reason"}}`; the
 * session then lingers for `lingerMs` so a client can still read it.
 * Liveness: a poll held, or one arriving, answers the heartbeat; a client that
 * stops polling misses its deadline and is dropped (3012).
 */
export class PollTransport extends EmulatedTransport {
  readonly name = 'long-poll';
  private readonly outbox = new PollOutbox();
  private held:
    | { cursor: number; resolve: (answer: PollAnswer | undefined) => void; timer: NodeJS.Timeout }
    | undefined;

  constructor(
    protocol: JsonCodec,
    remoteAddress: string | undefined,
    sessionId: string,
    sessionToken: string,
    /** Called once the session has ended and its last frames had their chance to be read. */
    private readonly gone: () => void,
    private readonly lingerMs: number,
  ) {
    super(protocol, remoteAddress, sessionId, sessionToken);
  }

  get bufferedAmount(): number {
    return this.outbox.bufferedAmount;
  }

  /**
   * A poll: acknowledges up to `cursor`, answers at once when frames are waiting, else holds up to `waitMs`. Undefined:
   * a cursor ahead of what was sent (400).
   */
  poll(cursor: number, waitMs: number): Promise<PollAnswer | undefined> {
    this.inbound.alive();
    const frames = this.outbox.take(cursor);
    if (!frames) return Promise.resolve(undefined);
    this.drained.release();
    if (frames.length || this.closed || waitMs <= 0) return Promise.resolve({ frames, closed: this.closed });
    this.answerHeld();
    return new Promise((resolve) => {
      this.held = { cursor, resolve, timer: setTimeout(() => this.answerHeld(), waitMs) };
    });
  }

  write(message: Reply | Push): void {
    if (!this.closed) this.queue(text.decode(encodeMessage(this.protocol, message)));
  }

  writeShared(message: SharedMessage): void {
    if (!this.closed) this.queue(message.framed(TEXT));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.outbox.push(JSON.stringify({ close: { code, reason } }));
    this.closed = true;
    this.answerHeld();
    setTimeout(this.gone, this.lingerMs).unref();
  }

  ping(): void {
    if (this.held) queueMicrotask(() => this.inbound.alive());
  }

  onceDrained(listener: () => void): void {
    this.drained.add(listener);
  }

  private queue(data: string): void {
    this.outbox.push(data);
    this.answerHeld();
  }

  private answerHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    clearTimeout(held.timer);
    held.resolve({ frames: this.outbox.take(held.cursor) ?? [], closed: this.closed });
  }
}
