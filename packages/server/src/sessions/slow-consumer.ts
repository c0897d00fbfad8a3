import type { HistoryQuery, HistoryResult, Publication, StreamPosition } from '@switchboard/engine';
import { DisconnectCode, continuity } from '@switchboard/wire';
import type { Subscription } from './subscription.js';

/** Publications per history read while a `lossless` channel catches up. */
const CATCH_UP_BATCH = 256;

/** What a slow consumer did with publications, for metrics. */
export type SlowConsumerOutcome = 'dropped' | 'coalesced' | 'lagged' | 'resynced' | 'closed';

/** What a slow consumer needs of its session. */
export interface SlowConsumerHost {
  readonly transport: { readonly bufferedAmount: number; onceDrained(listener: () => void): void };
  readonly isConnected: boolean;
  /** Subscribed, with the subscribe reply sent. */
  isLive(channel: string): boolean;
  /** Writes one publication for this session alone, marked with how many were skipped before it. */
  deliver(publication: Publication, skipped?: number): void;
  closeSlowConsumer(): void;
  serverUnsubscribe(channel: string, code: number, reason: string): void;
  /** Reads the channel's stream (the catch-up of `lossless` channels). */
  read(channel: string, query: HistoryQuery): Promise<HistoryResult>;
}

/**
 * A session's live publications once its send buffer has crossed the cap
 * (`maxSendBufferBytes`), by each channel's namespace policy:
 * - `lossless`: stop writing the channel; when the socket drains, catch up from
 *   history by offset, then go live again. If history no longer covers the gap,
 *   the client is told to resubscribe (and resyncs through its snapshot).
 * - `latest`: keep only the newest pending publication per channel.
 * - `drop-oldest`: a queue of at most the cap in bytes; drops are counted per channel.
 * - `close`: disconnect with 3008.
 * `latest` and `drop-oldest` mark the next publication written with `skipped: n`.
 * Made for a session the first time its buffer is over the cap, so fast
 * consumers pay nothing.
 */
export class SlowConsumer {
  /** Over the cap, waiting for the transport to drain: `latest` and `drop-oldest` hold, `lossless` lags. */
  private congested = false;
  private readonly latest = new Map<string, { pub: Publication; skipped: number }>();
  private queue: { pub: Publication; bytes: number }[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Publications dropped per channel that the client has not been told about yet. */
  private readonly dropped = new Map<string, number>();
  /** `lossless` channels behind the live stream: the last position written. */
  private readonly behind = new Map<string, StreamPosition>();
  /** Caught-up channels: the live stream must continue from here, or they fall behind again. */
  private readonly resume = new Map<string, StreamPosition>();
  private catchingUp = false;

  constructor(
    private readonly session: SlowConsumerHost,
    private readonly cap: number,
    private readonly report: (outcome: SlowConsumerOutcome, policy: string, count?: number) => void,
  ) {}

  /** Takes a live publication that must not be written now (held, dropped or left to history); false → write it. */
  offer(sub: Subscription, pub: Publication, bytes: number): boolean {
    const channel = pub.channel;
    const policy = sub.channel.options.backpressure;
    if (policy === 'lossless' && !this.continuesLive(channel, pub)) return true;
    if (policy === 'close' || !this.congested) {
      if (this.session.transport.bufferedAmount + bytes <= this.cap) return this.tellDropped(pub);
      if (policy === 'close') {
        this.report('closed', policy);
        this.session.closeSlowConsumer();
        return true;
      }
      this.waitForDrain();
    }
    if (policy === 'lossless') this.fallBehind(channel, { offset: pub.offset - 1, epoch: pub.epoch });
    else if (policy === 'latest') this.hold(pub);
    else this.enqueue(pub, bytes);
    return true;
  }

  /** False when a `lossless` channel is behind, or this publication was already written by its catch-up. */
  private continuesLive(channel: string, pub: Publication): boolean {
    if (this.behind.has(channel)) return false;
    const resume = this.resume.get(channel);
    if (!resume) return true;
    const next = continuity(resume, pub);
    if (next === 'seen') return false;
    this.resume.delete(channel);
    if (next === 'next') return true;
    // Published while the last catch-up read was on its way: read it from history too.
    this.fallBehind(channel, resume);
    return false;
  }

  private tellDropped(pub: Publication): boolean {
    const skipped = this.dropped.get(pub.channel);
    if (skipped === undefined) return false;
    this.dropped.delete(pub.channel);
    this.session.deliver(pub, skipped);
    return true;
  }

  private fallBehind(channel: string, position: StreamPosition): void {
    this.behind.set(channel, position);
    this.report('lagged', 'lossless');
    if (!this.congested) void this.catchUp();
  }

  private hold(pub: Publication): void {
    const held = this.latest.get(pub.channel);
    if (held) this.report('coalesced', 'latest');
    this.latest.set(pub.channel, { pub, skipped: held ? held.skipped + 1 : 0 });
  }

  private enqueue(pub: Publication, bytes: number): void {
    this.queue.push({ pub, bytes });
    this.queuedBytes += bytes;
    let dropped = 0;
    while (this.queuedBytes > this.cap && this.queue.length - this.head > 1) {
      const old = this.queue[this.head++];
      this.queuedBytes -= old.bytes;
      this.dropped.set(old.pub.channel, (this.dropped.get(old.pub.channel) ?? 0) + 1);
      dropped++;
    }
    if (dropped > 0) this.report('dropped', 'drop-oldest', dropped);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private waitForDrain(): void {
    if (this.congested) return;
    this.congested = true;
    this.session.transport.onceDrained(() => this.drained());
  }

  private get full(): boolean {
    return this.session.transport.bufferedAmount >= this.cap;
  }

  private drained(): void {
    this.congested = false;
    if (!this.session.isConnected) return;
    for (const [channel, { pub, skipped }] of this.latest)
      if (this.session.isLive(channel)) this.session.deliver(pub, skipped);
    this.latest.clear();
    while (this.head < this.queue.length) {
      if (this.full) return this.waitForDrain();
      const { pub, bytes } = this.queue[this.head++];
      this.queuedBytes -= bytes;
      if (!this.session.isLive(pub.channel)) continue;
      const skipped = this.dropped.get(pub.channel);
      this.dropped.delete(pub.channel);
      this.session.deliver(pub, skipped);
    }
    this.queue = [];
    this.head = 0;
    void this.catchUp();
  }

  /**
   * Replays `lossless` channels from history, a batch at a time, until they reach the live stream or the buffer fills
   * again.
   */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      while (this.behind.size > 0 && !this.congested && this.session.isConnected) {
        for (const [channel, since] of [...this.behind]) {
          if (this.congested || !this.session.isConnected) return;
          if (!this.session.isLive(channel)) {
            this.behind.delete(channel);
            continue;
          }
          await this.catchUpOne(channel, since);
          if (this.full) return this.waitForDrain();
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  private async catchUpOne(channel: string, since: StreamPosition): Promise<void> {
    let read;
    try {
      read = await this.session.read(channel, { since, limit: CATCH_UP_BATCH });
    } catch {
      read = undefined;
    }
    if (!this.session.isConnected || !this.behind.has(channel)) return;
    if (!read || read.gap) {
      // History cannot fill the hole (trimmed, new epoch, engine down): the client resubscribes from its position and
      // resyncs.
      this.behind.delete(channel);
      this.report('resynced', 'lossless');
      return this.session.serverUnsubscribe(
        channel,
        DisconnectCode.InsufficientState,
        'fell behind the history: resubscribe',
      );
    }
    let last = since;
    for (const p of read.publications) {
      if (this.full) break;
      this.session.deliver(p);
      last = { offset: p.offset, epoch: p.epoch };
    }
    if (last.offset >= read.position.offset) {
      this.behind.delete(channel);
      this.resume.set(channel, last);
    } else {
      this.behind.set(channel, last);
    }
  }
}
