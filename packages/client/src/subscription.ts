import type {
  ClientInfo,
  ParamsOf,
  PublicationPush,
  ResultOf,
  StreamPosition,
  SubscribeResult,
} from '@switchboard/wire';
import { ReconnectAdvice, continuity, reconnectAdvice } from '@switchboard/wire';
import { fullJitterDelay, type BackoffOptions } from './backoff.js';
import { ClientError, ClientErrorCode } from './client-errors.js';
import type { ReplyHandler } from './command-channel.js';
import { Emitter } from './emitter.js';
import { publicationStream } from './publication-stream.js';
import { SubscriptionState, type Publication, type SubscriptionEvent } from './subscription-events.js';

export { SubscriptionState, type Publication, type SubscriptionEvent };

/** The app's current state of a channel, and the stream position it reflects. */
export interface Snapshot {
  position: StreamPosition;
  data?: unknown;
}

export interface SubscribeOptions {
  /**
   * Called when the server cannot replay what was missed (`recovered: false`):
   * fetch the channel's current state from your backend and return it with the
   * position it reflects. Live publications after that position follow it.
   */
  getSnapshot?: (request: { channel: string; position: StreamPosition | undefined }) => Promise<Snapshot>;
  /** Resume from a position the app kept (e.g. across page loads). */
  since?: StreamPosition;
  /** Subscribe token, for `allowSubscribe: 'token'` namespaces. */
  token?: string;
  /** Publications a `for await` consumer (or a snapshot fetch) may fall behind. @default 10000 */
  bufferSize?: number;
}

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  /** Sends on the current connection; the handler runs synchronously as the reply is read. */
  call<M extends 'subscribe' | 'unsubscribe'>(method: M, params: ParamsOf<M>, handler: ReplyHandler<ResultOf<M>>): void;
  isConnected(): boolean;
  forget(channel: string): void;
  readonly backoff: BackoffOptions | undefined;
}

const ignore: ReplyHandler = { resolve() {}, reject() {} };

/**
 * One channel: `unsubscribed → subscribing → subscribed`. It keeps the last
 * position delivered, resumes from it on every (re)subscribe, drops what it
 * already delivered, and recovers when the offsets show a hole: at-least-once on
 * the wire, exactly once and in order to the app. When the server cannot
 * replay, `getSnapshot` resynchronises the app.
 */
export class Subscription extends Emitter<SubscriptionEvent> implements AsyncIterable<Publication> {
  state: SubscriptionState = SubscriptionState.Unsubscribed;
  /** The newest position delivered (or the snapshot's). */
  position: StreamPosition | undefined;
  /** While a snapshot is fetched, live publications wait here. */
  private resync: { pending: PublicationPush[]; overflow: boolean } | undefined;
  /** Bumped whenever in-flight replies and snapshots stop counting. */
  private generation = 0;
  /** Consecutive failures (subscribe or resync), for backoff. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly channel: string,
    private readonly host: SubscriptionHost,
    private readonly options: SubscribeOptions = {},
  ) {
    super();
    this.position = options.since;
  }

  get bufferSize(): number {
    return this.options.bufferSize ?? 10_000;
  }

  /** Subscribes now if connected, else with the next `connect`. */
  subscribe(): void {
    if (this.state !== SubscriptionState.Unsubscribed) return;
    this.setState(SubscriptionState.Subscribing);
    if (this.host.isConnected()) this.send();
  }

  unsubscribe(): void {
    if (this.state === SubscriptionState.Unsubscribed) return;
    this.abandon();
    this.setState(SubscriptionState.Unsubscribed);
    this.host.forget(this.channel);
    if (this.host.isConnected()) this.host.call('unsubscribe', { channel: this.channel }, ignore);
  }

  /** `for await (const pub of sub)`: publications in order; ends when unsubscribed. */
  [Symbol.asyncIterator](): AsyncIterator<Publication> {
    return publicationStream(this);
  }

  // From the client.

  /** This channel's entry in `connect`'s `subs`. */
  resumeParams(): { since?: StreamPosition; token?: string } {
    return { ...(this.position && { since: this.position }), ...(this.options.token && { token: this.options.token }) };
  }

  /** A channel the server subscribed us to at connect: its result is in the connect reply. */
  madeByServer(): void {
    this.setState(SubscriptionState.Subscribing);
  }

  /** Connected, and this subscription was not in the `connect` (made meanwhile): subscribe now. */
  resume(): void {
    if (this.state === SubscriptionState.Subscribing) this.send();
  }

  subscribed(result: SubscribeResult): void {
    if (this.state !== SubscriptionState.Subscribing) return;
    this.setState(SubscriptionState.Subscribed);
    if (result.recovered === false) {
      this.emit({ type: 'gap', from: this.position, to: result.position });
      if (this.options.getSnapshot && result.position) return this.startResync(result.position);
      this.position = result.position;
      return;
    }
    if (!this.position || (result.position && result.position.epoch !== this.position.epoch))
      this.position = result.position;
    for (const pub of result.publications ?? []) this.publication(pub);
  }

  rejected(error: ClientError): void {
    if (this.state !== SubscriptionState.Subscribing || error.code === ClientErrorCode.ConnectionLost) return;
    if (error.temporary)
      return this.retryLater(() => this.state === SubscriptionState.Subscribing && this.resubscribe());
    this.abandon();
    this.host.forget(this.channel);
    this.emit({ type: 'error', error });
    this.setState(SubscriptionState.Unsubscribed, error);
  }

  /** The connection dropped: resubscribe (with recovery) on the next connect. */
  interrupted(): void {
    this.abandon();
    if (this.state === SubscriptionState.Subscribed) this.setState(SubscriptionState.Subscribing);
  }

  /** The server ended the subscription: a reconnect-range code asks for it back (with recovery). */
  serverUnsubscribed(code: number, reason: string): void {
    if (reconnectAdvice(code) === ReconnectAdvice.Reconnect) return this.recover();
    this.rejected(new ClientError(code, reason));
  }

  publication(pub: PublicationPush): void {
    // Before the subscribe reply nothing is expected; the reply (with any replay) comes first.
    if (this.state !== SubscriptionState.Subscribed) return;
    if (this.resync) {
      if (this.resync.pending.length < this.bufferSize) this.resync.pending.push(pub);
      else this.resync.overflow = true;
      return;
    }
    const last = this.position;
    if (pub.offset > 0 && last) {
      // A hole, or a new epoch: what is missing comes from history (or a snapshot). `skipped`
      // publications were dropped or coalesced on purpose by the namespace's slow-consumer policy.
      const next = continuity(last, pub, pub.skipped);
      if (next === 'seen') return;
      if (next === 'gap') return this.recover();
    }
    if (pub.offset > 0) this.position = { offset: pub.offset, epoch: pub.epoch };
    this.failures = 0;
    this.emit({ type: 'publication', channel: this.channel, ...pub });
  }

  presenceEvent(kind: 'join' | 'leave', info: ClientInfo): void {
    this.emit({ type: kind, info });
  }

  private send(): void {
    const generation = this.generation;
    this.host.call(
      'subscribe',
      { channel: this.channel, ...this.resumeParams() },
      {
        resolve: (result) => generation === this.generation && this.subscribed(result),
        reject: (error) => generation === this.generation && this.rejected(error),
      },
    );
  }

  /** Subscribes again from the last position: the server replays the hole, or says `recovered: false`. */
  private recover(): void {
    this.abandon();
    this.setState(SubscriptionState.Subscribing);
    this.resubscribe();
  }

  /** `unsubscribe` first, in case the server still holds the subscription (a late reply, a server-side hole). */
  private resubscribe(): void {
    if (!this.host.isConnected()) return;
    this.host.call('unsubscribe', { channel: this.channel }, ignore);
    this.send();
  }

  private startResync(live: StreamPosition): void {
    const generation = this.generation;
    this.resync = { pending: [], overflow: false };
    const fetch = async (): Promise<void> => {
      let snapshot: Snapshot;
      try {
        snapshot = await this.options.getSnapshot!({ channel: this.channel, position: live });
      } catch (error) {
        if (generation !== this.generation) return;
        this.emit({
          type: 'error',
          error: new ClientError(ClientErrorCode.SnapshotFailed, `getSnapshot failed: ${String(error)}`, true),
        });
        return this.retryLater(fetch);
      }
      if (generation !== this.generation) return;
      const { pending, overflow } = this.resync!;
      this.resync = undefined;
      this.position = snapshot.position;
      this.emit({ type: 'snapshot', position: snapshot.position, data: snapshot.data });
      // A snapshot older than where the live stream starts (or of another epoch) leaves a hole: recover it from
      // history.
      if (overflow || snapshot.position.epoch !== live.epoch || snapshot.position.offset < live.offset)
        return this.recover();
      for (const pub of pending) this.publication(pub);
    };
    // Back to back resyncs (a snapshot that never catches up) back off.
    if (this.failures > 0) return this.retryLater(fetch);
    this.failures++;
    void fetch();
  }

  private retryLater(action: () => unknown): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(action, fullJitterDelay(this.failures++, this.host.backoff));
  }

  /** In-flight replies, snapshots and retries stop counting. */
  private abandon(): void {
    this.generation++;
    this.resync = undefined;
    clearTimeout(this.retryTimer);
  }

  private setState(state: SubscriptionState, error?: ClientError): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.emit(error ? { type: 'state', state, previous, error } : { type: 'state', state, previous });
  }
}
