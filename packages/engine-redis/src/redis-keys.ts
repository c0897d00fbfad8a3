/**
 * Key and pub/sub names. A channel's keys share the hash tag `{channel}` so a
 * script touching them is single-slot (the channel's keys are equal up to the
 * first `}`, so even a channel name containing braces keeps them together).
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** Hash: `e` epoch, `o` top offset. */
  meta(channel: string): string {
    return `${this.prefix}{${channel}}.meta`;
  }

  stream(channel: string): string {
    return `${this.prefix}{${channel}}.stream`;
  }

  idempotency(channel: string, key: string): string {
    return `${this.prefix}{${channel}}.idem.${key}`;
  }

  presence(channel: string): [entries: string, expiry: string] {
    return [`${this.prefix}{${channel}}.presence`, `${this.prefix}{${channel}}.presence-expiry`];
  }

  /** Pub/sub: a channel's publications. */
  publications(channel: string): string {
    return `${this.prefix}p.${channel}`;
  }

  /** Pub/sub: the control bus, to every node. */
  get controlBroadcast(): string {
    return `${this.prefix}c`;
  }

  /** Pub/sub: the control bus, to one node. */
  controlNode(nodeId: string): string {
    return `${this.prefix}n.${nodeId}`;
  }

  /** Lifecycle events (all on the first shard, as the control bus): a partition's stream. */
  events(partition: number): string {
    return `${this.prefix}ev.${partition}`;
  }

  /** Hash: consumer → the stream id it committed ("0-0": none yet). */
  eventCursors(partition: number): string {
    return `${this.prefix}evc.${partition}`;
  }

  eventLease(consumer: string, partition: number): string {
    return `${this.prefix}evl.${partition}.${consumer}`;
  }

  /** List prefix: a consumer's dead letters are `deadLetters + consumer`. */
  get deadLetters(): string {
    return `${this.prefix}evd.`;
  }

  /** Hash: member → count over all nodes, for one occupancy key. */
  occupancy(key: string): string {
    return `${this.prefix}occ.${key}`;
  }

  /** Hash prefix: a node's holdings are `holdings + node` ("key\0member" → count). */
  get holdings(): string {
    return `${this.prefix}occn.`;
  }

  /** Sorted set: node → alive until (ms, Redis clock). */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** The channel a pub/sub name carries publications for, if it is one. */
  channelOf(pubsubName: string): string | undefined {
    const head = `${this.prefix}p.`;
    return pubsubName.startsWith(head) ? pubsubName.slice(head.length) : undefined;
  }
}
