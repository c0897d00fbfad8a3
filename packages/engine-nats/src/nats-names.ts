import type { HistoryOptions } from '@switchboard/engine';

/** JetStream rejects a `max_age` under 100 ms, so shorter history TTLs are raised to it. */
export const MIN_MAX_AGE_MS = 100;

/** A history profile: the namespace settings one stream serves (JetStream's limits are per stream). */
export interface Profile {
  size: number;
  /** 0: no expiry. */
  ttlMs: number;
}

export const profileOf = (history: HistoryOptions): Profile => ({
  size: history.size,
  ttlMs: history.ttlMs > 0 ? Math.max(history.ttlMs, MIN_MAX_AGE_MS) : 0,
});

/**
 * Stream, subject and bucket names. A channel (or node id, client id) becomes one
 * subject token in base64url: `.`, `*`, `>` and spaces are illegal inside a token
 * and KV keys refuse `:`.
 *
 * - `<p>.h.<size>_<ttl>.<ch>`: a history profile's stream `<p>_h_<size>_<ttl>` (one for all its channels)
 * - `<p>.l.<ch>`: the stream `<p>_live` for history-less publishes with an idempotency key
 * - `<p>.k.<ch>.<key>`: the stream `<p>_keys`, idempotency keys of history publishes (see IdempotencyClaims)
 * - `<p>.r.<ch>`: deliveries, only ever written by the streams' RePublish (and history-less publishes)
 * - `<p>.ctl`, `<p>.node.<id>`, `<p>.req.<id>`: the control bus
 * - KV bucket `<p>_p_<ttl>`, key `<ch>.<client>`: presence
 */
export class NatsNames {
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_-]+$/.test(prefix))
      throw new TypeError(`NATS prefix must match [A-Za-z0-9_-]+, got ${JSON.stringify(prefix)}`);
  }

  static token(text: string): string {
    return text === '' ? '=' : Buffer.from(text, 'utf8').toString('base64url');
  }

  static untoken(token: string): string {
    return token === '=' ? '' : Buffer.from(token, 'base64url').toString('utf8');
  }

  historyStream(profile: Profile): string {
    return `${this.prefix}_h_${profile.size}_${profile.ttlMs}`;
  }

  /** The profile a history stream's name encodes, or undefined for another stream. */
  profileOfStream(name: string): Profile | undefined {
    const match = new RegExp(`^${this.prefix}_h_(\\d+)_(\\d+)$`).exec(name);
    return match ? { size: Number(match[1]), ttlMs: Number(match[2]) } : undefined;
  }

  historySubjects(profile: Profile): string {
    return `${this.prefix}.h.${profile.size}_${profile.ttlMs}.*`;
  }

  historySubject(profile: Profile, channel: string): string {
    return `${this.prefix}.h.${profile.size}_${profile.ttlMs}.${NatsNames.token(channel)}`;
  }

  get liveStream(): string {
    return `${this.prefix}_live`;
  }

  get liveSubjects(): string {
    return `${this.prefix}.l.*`;
  }

  liveSubject(channel: string): string {
    return `${this.prefix}.l.${NatsNames.token(channel)}`;
  }

  get keysStream(): string {
    return `${this.prefix}_keys`;
  }

  get keysSubjects(): string {
    return `${this.prefix}.k.*.*`;
  }

  keySubject(channel: string, key: string): string {
    return `${this.prefix}.k.${NatsNames.token(channel)}.${NatsNames.token(key)}`;
  }

  /** Where a stream's RePublish puts its messages: the channel's delivery subject. */
  get republishDestination(): string {
    return `${this.prefix}.r.$1`;
  }

  delivery(channel: string): string {
    return `${this.prefix}.r.${NatsNames.token(channel)}`;
  }

  get controlBroadcast(): string {
    return `${this.prefix}.ctl`;
  }

  controlNode(nodeId: string): string {
    return `${this.prefix}.node.${NatsNames.token(nodeId)}`;
  }

  controlRequest(nodeId: string): string {
    return `${this.prefix}.req.${NatsNames.token(nodeId)}`;
  }

  presenceBucket(ttlMs: number): string {
    return `${this.prefix}_p_${ttlMs}`;
  }

  /** The TTL a presence bucket's name encodes, or undefined. */
  ttlOfPresenceBucket(streamName: string): number | undefined {
    const match = new RegExp(`^KV_${this.prefix}_p_(\\d+)$`).exec(streamName);
    return match ? Number(match[1]) : undefined;
  }

  presenceKey(channel: string, clientId: string): string {
    return `${NatsNames.token(channel)}.${NatsNames.token(clientId)}`;
  }

  presenceKeys(channel: string): string {
    return `${NatsNames.token(channel)}.>`;
  }
}
