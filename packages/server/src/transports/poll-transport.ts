import type { Codec } from '@switchboard/wire';
import { DrainWaiters } from './drain-waiters.js';
import type { EmulatedSession } from './emulated-session.js';
import { PollOutbox, type PollFrame } from './poll-outbox.js';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

const UNBOUND: TransportListener = { onMessage() {}, onAlive() {}, onClose() {} };
const text = new TextDecoder();
const decoded = new WeakMap<SharedMessage, string>();

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
export class PollTransport implements Transport, EmulatedSession {
  readonly name = 'long-poll';
  private listener = UNBOUND;
  private readonly outbox = new PollOutbox();
  private held: { cursor: number; resolve: (answer: PollAnswer | undefined) => void; timer: NodeJS.Timeout } | undefined;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    readonly codec: Codec,
    readonly remoteAddress: string | undefined,
    readonly sessionId: string,
    readonly sessionToken: string,
    /** Called once the session has ended and its last frames had their chance to be read. */
    private readonly gone: () => void,
    private readonly lingerMs: number,
  ) {}

  bind(listener: TransportListener): void {
    this.listener = listener;
  }

  receive(bytes: Uint8Array): void {
    if (!this.closed) this.listener.onMessage(bytes);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get bufferedAmount(): number {
    return this.outbox.bufferedAmount;
  }

  /** A poll: acknowledges up to `cursor`, answers at once when frames are waiting, else holds up to `waitMs`. Undefined: a cursor ahead of what was sent (400). */
  poll(cursor: number, waitMs: number): Promise<PollAnswer | undefined> {
    this.listener.onAlive();
    const frames = this.outbox.take(cursor);
    if (!frames) return Promise.resolve(undefined);
    this.drained.release();
    if (frames.length || this.closed || waitMs <= 0) return Promise.resolve({ frames, closed: this.closed });
    this.answerHeld();
    return new Promise((resolve) => {
      this.held = { cursor, resolve, timer: setTimeout(() => this.answerHeld(), waitMs) };
    });
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.outbox.push(text.decode(bytes));
    this.answerHeld();
  }

  writeShared(message: SharedMessage): void {
    if (this.closed) return;
    let data = decoded.get(message);
    if (data === undefined) decoded.set(message, (data = text.decode(message.bytes)));
    this.outbox.push(data);
    this.answerHeld();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.outbox.push(JSON.stringify({ close: { code, reason } }));
    this.closed = true;
    this.answerHeld();
    setTimeout(this.gone, this.lingerMs).unref();
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    if (this.held) queueMicrotask(() => this.listener.onAlive());
  }

  onceDrained(listener: () => void): void {
    this.drained.add(listener);
  }

  /** The client went away for good (its session expired on the owner). */
  expire(code: number, reason: string): void {
    this.listener.onClose(code, reason);
  }

  private answerHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    clearTimeout(held.timer);
    held.resolve({ frames: this.outbox.take(held.cursor) ?? [], closed: this.closed });
  }
}
