import type { Broker, BrokerHandler, Publication, StreamPosition } from '@switchboard/engine';
import type { Codec, Push } from '@switchboard/wire';
import { SharedMessage } from '../transports/transport.js';
import { toPublicationPush } from './publication-push.js';

/** A session as the hub sees it: where a channel's messages go. */
export interface ChannelSubscriber {
  /** `encoded.for(codec)` encodes the publication once per codec, on first use. */
  onPublication(channel: string, publication: Publication, encoded: SharedPush): void;
  /** A join or leave for the channel's subscribers. */
  onChannelPush(channel: string, encoded: SharedPush): void;
  /** The live stream skipped offsets: this node lost publications and subscribers must recover. */
  onStreamGap(channel: string): void;
}

/** One push for many subscribers: built and encoded at most once per codec, when first written. */
export class SharedPush {
  private push: Push | undefined;
  private readonly byCodec = new Map<Codec, SharedMessage>();

  constructor(private readonly make: () => Push) {}

  for(codec: Codec): SharedMessage {
    let message = this.byCodec.get(codec);
    if (!message) this.byCodec.set(codec, (message = new SharedMessage(codec.encodePush((this.push ??= this.make())))));
    return message;
  }
}

interface ChannelEntry {
  subscribers: Set<ChannelSubscriber>;
  /** Settles when the broker delivers this channel to the node. */
  ready: Promise<void>;
  /** The newest position delivered live, to detect publications lost between nodes (never advanced by history reads, which may run ahead of delivery). */
  last: StreamPosition | undefined;
}

/**
 * Local fan-out. One node-level broker subscription per channel that has local
 * subscribers; each publication is encoded once per codec and the same bytes are
 * written to every subscriber (the engine carries only the leg between nodes).
 */
export class Hub implements BrokerHandler {
  private readonly channels = new Map<string, ChannelEntry>();
  private broker!: Broker;

  /** `delivered(n)`: one publication or push went to n local subscribers (the messages-sent metric). */
  constructor(private readonly delivered: (n: number) => void) {}

  /** The broker is built after the hub (it needs the hub as its handler). */
  bind(broker: Broker): void {
    this.broker = broker;
  }

  /** Adds a subscriber; resolves once the node receives the channel's publications. */
  subscribe(channel: string, subscriber: ChannelSubscriber): Promise<void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: ChannelEntry = { subscribers: new Set(), ready: Promise.resolve(), last: undefined };
      // A failed broker subscribe fails every waiting subscriber, and the next one tries afresh.
      created.ready = this.broker.subscribe(channel).catch((error: unknown) => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
        throw error;
      });
      this.channels.set(channel, (entry = created));
    }
    entry.subscribers.add(subscriber);
    return entry.ready;
  }

  unsubscribe(channel: string, subscriber: ChannelSubscriber): void {
    const entry = this.channels.get(channel);
    if (!entry?.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
    this.channels.delete(channel);
    // A failed unsubscribe only costs deliveries this node ignores.
    this.broker.unsubscribe(channel).catch(() => {});
  }

  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.subscribers.size ?? 0;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Active channels on this node with their local subscriber counts. */
  channelCounts(): Map<string, number> {
    return new Map([...this.channels].map(([name, e]) => [name, e.subscribers.size]));
  }

  onPublication(publication: Publication): void {
    const entry = this.channels.get(publication.channel);
    if (!entry) return;
    if (publication.offset > 0 && !this.continues(entry, publication)) return;
    const encoded = new SharedPush(() => ({ push: 'publication', channel: publication.channel, pub: toPublicationPush(publication) }));
    for (const subscriber of entry.subscribers) subscriber.onPublication(publication.channel, publication, encoded);
    this.delivered(entry.subscribers.size);
  }

  /** Delivers a join or leave to this node's subscribers of the channel. */
  pushToChannel(channel: string, push: Push): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const encoded = new SharedPush(() => push);
    for (const subscriber of entry.subscribers) subscriber.onChannelPush(channel, encoded);
    this.delivered(entry.subscribers.size);
  }

  /**
   * Checks a live publication against the last position: the next offset is
   * delivered; an old one (a duplicate) is dropped; a skipped offset, or a new
   * epoch that does not start at 1, means publications were lost on the way.
   */
  private continues(entry: ChannelEntry, p: Publication): boolean {
    const last = entry.last;
    entry.last = { offset: p.offset, epoch: p.epoch };
    if (!last) return true;
    if (last.epoch === p.epoch) {
      if (p.offset <= last.offset) {
        entry.last = last;
        return false;
      }
      if (p.offset === last.offset + 1) return true;
    } else if (p.offset === 1) {
      return true;
    }
    for (const subscriber of [...entry.subscribers]) subscriber.onStreamGap(p.channel);
    return false;
  }
}
