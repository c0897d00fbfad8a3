import type { Push } from '@switchboard/wire';
import type { ChannelService } from '../../channels/channel-service.js';
import type { ProtocolNode } from '../../client-protocol.js';
import type { Logger } from '../../logger.js';
import type { PusherChannels } from './pusher-channels.js';
import type { PusherEnvelope } from './pusher-codec.js';

/** The event pusher-js turns into `pusher:subscription_count` on the channel. */
export const SUBSCRIPTION_COUNT_EVENT = 'pusher_internal:subscription_count';

/** At most one count per channel per window, on each leg (the change's announce, each node's read). */
const SUBSCRIPTION_COUNT_WINDOW_MS = 1000;

/** Pusher counts every channel but presence ones (those have members) and a user's own. */
export const countable = (kind: string): boolean => kind !== 'presence' && kind !== 'user';

/** The count as a publication push, so the app's codec encodes it once for the node's subscribers. */
function countPush(internal: string, count: number): Push {
  const data: PusherEnvelope = { e: SUBSCRIPTION_COUNT_EVENT, d: { subscription_count: count } };
  return { push: 'publication', channel: internal, pub: { offset: 0, epoch: '', data } };
}

/**
 * Per key, `fire` at once, then at most once more per `windowMs` while touches
 * keep coming (leading and trailing edges): a quiet channel's change goes out
 * at once, a busy one's once a window, and the last change is never lost.
 */
export class KeyedThrottle {
  private readonly cooling = new Map<string, { again: boolean; timer: NodeJS.Timeout }>();

  constructor(
    private readonly windowMs: number,
    private readonly fire: (key: string) => void,
  ) {}

  touch(key: string): void {
    const cooling = this.cooling.get(key);
    if (cooling) {
      cooling.again = true;
      return;
    }
    this.fire(key);
    const entry = {
      again: false,
      timer: setTimeout(() => {
        this.cooling.delete(key);
        if (entry.again) this.touch(key);
      }, this.windowMs).unref(),
    };
    this.cooling.set(key, entry);
  }

  stop(): void {
    for (const { timer } of this.cooling.values()) clearTimeout(timer);
    this.cooling.clear();
  }
}

/**
 * One app's `pusher_internal:subscription_count` pushes (its `subscriptionCount`
 * option), correct across nodes: the count is the engine's presence count of the
 * channel (every Pusher subscription is a presence entry). A node that writes an
 * entry announces the channel on the control bus; every node with subscribers of
 * it reads the count and pushes it to them. Both legs are throttled per channel.
 * A new subscriber reads its count itself (`PusherConnection`), so it never
 * waits for a change.
 */
export class SubscriptionCounts {
  private readonly announce: KeyedThrottle;
  private readonly read: KeyedThrottle;

  constructor(
    private readonly channels: PusherChannels,
    service: ChannelService,
    private readonly node: Pick<ProtocolNode, 'cluster' | 'hub'>,
    log: Logger,
    windowMs = SUBSCRIPTION_COUNT_WINDOW_MS,
  ) {
    this.announce = new KeyedThrottle(windowMs, (channel) => {
      node.cluster
        .broadcast('count', { channel })
        .catch((error: unknown) => log.warn({ err: error, channel }, 'subscription count not announced'));
    });
    this.read = new KeyedThrottle(windowMs, (channel) => {
      service.presenceStats(channel).then(
        (stats) => node.hub.pushToChannel(channel, countPush(channel, stats.clients)),
        (error: unknown) => log.warn({ err: error, channel }, 'subscription count not read'),
      );
    });
  }

  /** Is `internal` one of this app's counted channels? */
  counts(internal: string): boolean {
    const name = this.channels.nameOf(internal);
    const channel = name === undefined ? undefined : this.channels.parse(name);
    return channel !== undefined && countable(channel.kind);
  }

  /** This node wrote a presence entry of the channel. */
  changedHere(internal: string): void {
    this.announce.touch(internal);
  }

  /** Some node announced a change: read the count if this node has subscribers. */
  changed(internal: string): void {
    if (this.node.hub.subscriberCount(internal) > 0) this.read.touch(internal);
  }

  stop(): void {
    this.announce.stop();
    this.read.stop();
  }
}
