import type { ClientInfo, PublicationPush, StreamPosition, SubscribeResult } from '@switchboard/wire';
import { Emitter } from './emitter.js';

export const SubscriptionState = { Unsubscribed: 'unsubscribed', Subscribing: 'subscribing', Subscribed: 'subscribed' } as const;
export type SubscriptionState = (typeof SubscriptionState)[keyof typeof SubscriptionState];

export interface SubscriptionEvents extends Record<string, unknown> {
  publication: PublicationPush;
  join: ClientInfo;
  leave: ClientInfo;
  state: SubscriptionState;
  /** The server could not replay what was missed (`recovered: false`): resync from your own source. */
  gap: { position: StreamPosition | undefined };
  error: { code: number; message: string };
}

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  /** Sends a command; the callbacks run synchronously when its reply is read. */
  call(method: 'subscribe' | 'unsubscribe', params: object, reply: { resolve(result: unknown): void; reject(error: Error): void }): void;
  isConnected(): boolean;
  forget(channel: string): void;
}

/**
 * One channel: `unsubscribed → subscribing → subscribed`. It remembers the last
 * position seen so a reconnect resubscribes with recovery, and drops any
 * publication at or before it: at-least-once on the wire, exactly once to you.
 */
export class Subscription extends Emitter<SubscriptionEvents> {
  state: SubscriptionState = SubscriptionState.Unsubscribed;
  /** The newest position delivered (channels with history only). */
  position: StreamPosition | undefined;

  constructor(
    readonly channel: string,
    private readonly host: SubscriptionHost,
  ) {
    super();
  }

  /** Subscribes now if connected, else with the next `connect`. */
  subscribe(): void {
    if (this.state !== SubscriptionState.Unsubscribed) return;
    this.setState(SubscriptionState.Subscribing);
    if (!this.host.isConnected()) return;
    this.host.call('subscribe', this.position ? { channel: this.channel, since: this.position } : { channel: this.channel }, {
      resolve: (result) => this.subscribed(result as SubscribeResult),
      reject: (error) => this.failed(error as Error & { code: number }),
    });
  }

  unsubscribe(): void {
    if (this.state === SubscriptionState.Unsubscribed) return;
    this.setState(SubscriptionState.Unsubscribed);
    this.host.forget(this.channel);
    if (this.host.isConnected()) this.host.call('unsubscribe', { channel: this.channel }, { resolve() {}, reject() {} });
  }

  /** The subscribe (or connect) result for this channel. */
  subscribed(result: SubscribeResult): void {
    if (this.state !== SubscriptionState.Subscribing) return;
    if (result.recovered === false && this.position) this.emit('gap', { position: result.position });
    if (result.position && (!this.position || result.recovered === false || result.position.epoch !== this.position.epoch)) this.position = result.position;
    this.setState(SubscriptionState.Subscribed);
    for (const pub of result.publications ?? []) this.publication(pub);
  }

  failed(error: { code: number; message: string }): void {
    this.setState(SubscriptionState.Unsubscribed);
    this.host.forget(this.channel);
    this.emit('error', error);
  }

  /** The connection dropped: resubscribe (with recovery) on the next connect. */
  interrupted(): void {
    if (this.state === SubscriptionState.Subscribed) this.setState(SubscriptionState.Subscribing);
  }

  /** The server dropped the subscription but asks for it back: subscribe again from the last position. */
  resubscribe(): void {
    this.state = SubscriptionState.Unsubscribed;
    this.subscribe();
  }

  publication(pub: PublicationPush): void {
    // Before the subscribe reply nothing is expected; the reply (with any replay) comes first.
    if (this.state !== SubscriptionState.Subscribed) return;
    const last = this.position;
    if (pub.offset > 0) {
      if (last && pub.epoch === last.epoch && pub.offset <= last.offset) return;
      this.position = { offset: pub.offset, epoch: pub.epoch };
    }
    this.emit('publication', pub);
  }

  presenceEvent(kind: 'join' | 'leave', info: ClientInfo): void {
    this.emit(kind, info);
  }

  private setState(state: SubscriptionState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }
}
