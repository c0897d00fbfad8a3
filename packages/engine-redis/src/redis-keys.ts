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

  /** The channel a pub/sub name carries publications for, if it is one. */
  channelOf(pubsubName: string): string | undefined {
    const head = `${this.prefix}p.`;
    return pubsubName.startsWith(head) ? pubsubName.slice(head.length) : undefined;
  }
}
