import type { Broker, BrokerHandler, Publication, StreamPosition } from '@switchboard/engine';
import { continuity, type Push } from '@switchboard/wire';
import { SharedMessage, type ClientProtocol } from '../transports/transport.js';
import { toPublicationPush } from './publication-push.js';

/** A session as the hub sees it: where a channel's messages go. */
export interface ChannelSubscriber {
  /** `encoded.for(protocol)` encodes the publication once per client protocol, on first use. */
  onPublication(channel: string, publication: Publication, encoded: SharedPush): void;
  /** A join or leave for the channel's subscribers. */
  onChannelPush(channel: string, encoded: SharedPush): void;
  /** The live stream skipped offsets: this node lost publications and subscribers must recover. */
  onStreamGap(channel: string): void;
}

/** Told when this node's first subscriber of a channel comes and its last goes (cluster-wide occupancy). */
export interface ChannelOccupancy {
  channelEntered(channel: string): void;
  channelExited(channel: string): void;
}

/** One push for many subscribers: built and encoded at most once per client protocol, when first written. */
export class SharedPush {
  private push: Push | undefined;
  private readonly byProtocol = new Map<ClientProtocol, SharedMessage>();

  constructor(
    private readonly make: () => Push,
    /** May transports compress it (the channel's namespace option `compress`)? */
    private readonly compress = true,
  ) {}

  for(protocol: ClientProtocol): SharedMessage {
    let message = this.byProtocol.get(protocol);
    if (!message) {
      const push = (this.push ??= this.make());
      this.byProtocol.set(protocol, (message = new SharedMessage(protocol.encodePush(push), push, this.compress)));
    }
    return message;
  }
}

interface ChannelEntry {
  subscribers: Set<ChannelSubscriber>;
  /** Settles when the broker delivers this channel to the node. */
  ready: Promise<void>;
  /**
   * The newest position this node is sure to have received up to, to detect
   * publications lost between nodes: the first join's history read, then each
   * live publication (never later reads, which may run ahead of delivery).
   */
  last: StreamPosition | undefined;
}

/** Channels whose positions are read at once during a check. */
const CHECK_CONCURRENCY = 64;

/** A top offset newer than the node's is a gap only if still missing this long after (it may be in flight). */
const POSITION_GRACE_MS = 1000;

/**
 * Local fan-out. One node-level broker subscription per channel that has local
 * subscribers; each publication is encoded once per client protocol and the same bytes are
 * written to every subscriber (the engine carries only the leg between nodes).
 */
export class Hub implements BrokerHandler {
  private readonly channels = new Map<string, ChannelEntry>();
  private broker!: Broker;
  private checkTimer: NodeJS.Timeout | undefined;
  private occupancy: ChannelOccupancy | undefined;

  /**
   * `delivered(n)`: one publication or push went to n local subscribers (the messages-sent metric).
   * `compressible(channel)`: may its messages be compressed (namespace option `compress`)?
   */
  constructor(
    private readonly delivered: (n: number) => void,
    private readonly compressible: (channel: string) => boolean = () => true,
  ) {}

  /** The broker is built after the hub (it needs the hub as its handler). */
  bind(broker: Broker): void {
    this.broker = broker;
  }

  /** Reports every channel's local 0 → 1 and 1 → 0 from now on. */
  watchOccupancy(occupancy: ChannelOccupancy): void {
    this.occupancy = occupancy;
  }

  /** Adds a subscriber; resolves once the node receives the channel's publications. */
  subscribe(channel: string, subscriber: ChannelSubscriber): Promise<void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: ChannelEntry = { subscribers: new Set(), ready: Promise.resolve(), last: undefined };
      // A failed broker subscribe fails every waiting subscriber, and the next one tries afresh.
      created.ready = this.broker.subscribe(channel).catch((error: unknown) => {
        if (this.channels.get(channel) === created) {
          this.channels.delete(channel);
          this.occupancy?.channelExited(channel);
        }
        throw error;
      });
      this.channels.set(channel, (entry = created));
      this.occupancy?.channelEntered(channel);
    }
    entry.subscribers.add(subscriber);
    return entry.ready;
  }

  /**
   * A subscriber's history read gave `top` (after the node subscribed): if the
   * node has no position for the channel yet, everything after `top` will
   * arrive live, so live publications and position checks start from it.
   */
  observe(channel: string, top: StreamPosition): void {
    const entry = this.channels.get(channel);
    if (entry && !entry.last && top.epoch !== '') entry.last = top;
  }

  unsubscribe(channel: string, subscriber: ChannelSubscriber): void {
    const entry = this.channels.get(channel);
    if (!entry?.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
    this.channels.delete(channel);
    this.occupancy?.channelExited(channel);
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

  /** The engine's link dropped and is back: every channel's position is checked now. */
  onDeliveryUncertain(): void {
    void this.checkPositions();
  }

  /**
   * Catches what offsets alone cannot: the last publications before a quiet
   * spell, lost on the way (no later one shows the hole). Every `intervalMs`
   * each channel's top position is compared with the node's.
   */
  startPositionChecks(intervalMs: number): void {
    if (intervalMs > 0) this.checkTimer = setInterval(() => void this.checkPositions(), intervalMs).unref();
  }

  stopPositionChecks(): void {
    clearInterval(this.checkTimer);
  }

  /**
   * Reads each channel's top. Another epoch (or none: the stream is gone) is a
   * gap at once; a higher offset is one only if it has still not arrived after
   * POSITION_GRACE_MS. Failed reads are left for the next check.
   */
  async checkPositions(): Promise<void> {
    const entries = [...this.channels].filter(([, e]) => e.last !== undefined);
    for (let i = 0; i < entries.length; i += CHECK_CONCURRENCY) {
      await Promise.all(
        entries.slice(i, i + CHECK_CONCURRENCY).map(async ([channel, entry]) => {
          const top = await this.broker.history(channel, { limit: 0 }).then(
            (r) => r.position,
            () => undefined,
          );
          const last = entry.last;
          if (!top || !last || this.channels.get(channel) !== entry) return;
          if (top.epoch !== last.epoch) return this.gap(entry, channel, top);
          if (top.offset <= last.offset) return;
          setTimeout(() => {
            const now = entry.last;
            if (this.channels.get(channel) === entry && now && now.epoch === top.epoch && now.offset < top.offset)
              this.gap(entry, channel, top);
          }, POSITION_GRACE_MS).unref();
        }),
      );
    }
  }

  onPublication(publication: Publication): void {
    const entry = this.channels.get(publication.channel);
    if (!entry) return;
    if (publication.offset > 0 && !this.continues(entry, publication)) return;
    const encoded = new SharedPush(
      () => ({ push: 'publication', channel: publication.channel, pub: toPublicationPush(publication) }),
      this.compressible(publication.channel),
    );
    for (const subscriber of entry.subscribers) subscriber.onPublication(publication.channel, publication, encoded);
    this.delivered(entry.subscribers.size);
  }

  /** Delivers a join or leave to this node's subscribers of the channel. */
  pushToChannel(channel: string, push: Push): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const encoded = new SharedPush(() => push, this.compressible(channel));
    for (const subscriber of entry.subscribers) subscriber.onChannelPush(channel, encoded);
    this.delivered(entry.subscribers.size);
  }

  /**
   * Checks a live publication against the last position (see `continuity`): the
   * next one is delivered, one already seen is dropped, and a gap means
   * publications were lost on the way.
   */
  private continues(entry: ChannelEntry, p: Publication): boolean {
    const next = entry.last ? continuity(entry.last, p) : 'next';
    if (next === 'next') entry.last = { offset: p.offset, epoch: p.epoch };
    else if (next === 'gap') this.gap(entry, p.channel, p);
    return next === 'next';
  }

  /**
   * Subscribers resubscribe from their positions (recovering from history, or resyncing); the node moves on from `at`.
   */
  private gap(entry: ChannelEntry, channel: string, at: StreamPosition): void {
    entry.last = { offset: at.offset, epoch: at.epoch };
    for (const subscriber of [...entry.subscribers]) subscriber.onStreamGap(channel);
  }
}
