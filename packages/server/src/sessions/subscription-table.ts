import type { Subscription } from './subscription.js';

/** Up to this many, a session's subscriptions sit in an array searched in order. */
const SMALL = 8;

/**
 * A session's subscriptions by channel name. Most sessions hold a few: an array of
 * them costs 56 B where a one-entry Map costs about 210 B, and a search over
 * eight is as fast as hashing. Past eight it becomes a Map, and stays one.
 */
export class SubscriptionTable {
  private list: Subscription[] | undefined;
  private map: Map<string, Subscription> | undefined;

  get size(): number {
    return this.map ? this.map.size : (this.list?.length ?? 0);
  }

  get(channel: string): Subscription | undefined {
    if (this.map) return this.map.get(channel);
    const list = this.list;
    if (list) for (let i = 0; i < list.length; i++) if (list[i].channel.channel === channel) return list[i];
    return undefined;
  }

  has(channel: string): boolean {
    return this.get(channel) !== undefined;
  }

  /** Adds a subscription under its channel's name, which must not be in the table. */
  add(subscription: Subscription): void {
    if (this.map) this.map.set(subscription.channel.channel, subscription);
    else if (!this.list) this.list = [subscription];
    else if (this.list.length < SMALL) this.list.push(subscription);
    else {
      this.map = new Map(this.list.map((s) => [s.channel.channel, s]));
      this.map.set(subscription.channel.channel, subscription);
      this.list = undefined;
    }
  }

  delete(channel: string): boolean {
    if (this.map) return this.map.delete(channel);
    const list = this.list;
    const at = list ? list.findIndex((s) => s.channel.channel === channel) : -1;
    if (at < 0) return false;
    list!.splice(at, 1);
    if (list!.length === 0) this.list = undefined;
    return true;
  }

  /** The channel names, a copy (safe to leave channels while iterating). */
  channels(): string[] {
    return this.map ? [...this.map.keys()] : (this.list?.map((s) => s.channel.channel) ?? []);
  }
}
