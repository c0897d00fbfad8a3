import type { PresenceEntry, PresenceStats, PresenceStore } from '@switchboard/engine';
import { JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from './nats-link.js';
import { MIN_MAX_AGE_MS, type NatsNames } from './nats-names.js';
import type { NatsStreams, StreamSettings } from './nats-streams.js';
import { readStream } from './stream-reader.js';

const LIST_MAX_AGE_MS = 1000;
/** "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/**
 * Presence in JetStream KV: a bucket per presence TTL (`<p>_p_<ttl>`, `max_age` =
 * the TTL, one value per key), key `<channel>.<client>`. An `add` is a put, which
 * restarts the entry's age, so the server itself drops entries nobody refreshed:
 * this works on 2.9, which accepts a per-key TTL but ignores it. A read takes the
 * newest value of each key of the channel (one short-lived consumer per bucket) and
 * also leaves out entries older than their TTL by this node's clock, since the
 * server's expiry runs on a timer.
 */
export class NatsPresenceStore implements PresenceStore {
  private readonly kvm: Kvm;
  private readonly buckets = new Map<number, Promise<KV>>();
  private listed: { at: number; ttls: number[] } = { at: 0, ttls: [] };

  constructor(
    private readonly link: NatsLink,
    private readonly names: NatsNames,
    private readonly settings: Omit<StreamSettings, 'idempotencyWindowMs'>,
    private readonly streams: NatsStreams,
  ) {
    this.kvm = new Kvm(link.js);
    link.onReconnect(() => {
      this.buckets.clear();
      this.listed.at = 0;
    });
  }

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
    const kv = await this.bucket(Math.max(ttlMs, MIN_MAX_AGE_MS));
    const value = JSON.stringify({ ...entry, ttl: ttlMs });
    await this.link.run('presence add', () => kv.put(this.names.presenceKey(channel, entry.clientId), value));
  }

  async remove(channel: string, clientId: string): Promise<void> {
    const ttls = await this.ttls();
    await Promise.all(
      ttls.map(async (ttl) => {
        const kv = await this.bucket(ttl);
        await this.link.run('presence remove', () => kv.delete(this.names.presenceKey(channel, clientId)));
      }),
    );
  }

  async get(channel: string): Promise<PresenceEntry[]> {
    const now = Date.now();
    const newest = new Map<string, { at: number; entry: PresenceEntry }>();
    for (const ttl of await this.ttls()) {
      const bucket = this.names.presenceBucket(ttl);
      const messages = await readStream(
        this.link,
        `KV_${bucket}`,
        `$KV.${bucket}.${this.names.presenceKeys(channel)}`,
        true,
      );
      for (const message of messages) {
        const operation = message.headers?.get('KV-Operation');
        if (operation === 'DEL' || operation === 'PURGE' || message.data.length === 0) continue;
        const at = Number(message.info.timestampNanos) / 1e6;
        const { ttl: entryTtl, ...entry } = JSON.parse(new TextDecoder().decode(message.data)) as PresenceEntry & {
          ttl: number;
        };
        if (at + entryTtl <= now) continue;
        const seen = newest.get(entry.clientId);
        if (!seen || seen.at < at) newest.set(entry.clientId, { at, entry });
      }
    }
    return [...newest.values()].map((v) => v.entry);
  }

  async stats(channel: string): Promise<PresenceStats> {
    const entries = await this.get(channel);
    return { clients: entries.length, users: new Set(entries.map((e) => e.userId)).size };
  }

  async close(): Promise<void> {}

  /** The TTLs that have a bucket (this node's at once, others' listed at most every second). */
  private async ttls(): Promise<number[]> {
    if (Date.now() - this.listed.at > LIST_MAX_AGE_MS) {
      const ttls: number[] = [];
      await this.link.run('list buckets', async () => {
        for await (const name of this.link.jsm.streams.names()) {
          const ttl = this.names.ttlOfPresenceBucket(name);
          if (ttl !== undefined) ttls.push(ttl);
        }
      });
      this.listed = { at: Date.now(), ttls };
    }
    return [...new Set([...this.listed.ttls, ...this.buckets.keys()])];
  }

  private bucket(ttlMs: number): Promise<KV> {
    let kv = this.buckets.get(ttlMs);
    if (!kv) {
      const name = this.names.presenceBucket(ttlMs);
      kv = this.link.run('create bucket', async () => {
        let bucket: KV;
        try {
          bucket = await this.kvm.create(name, {
            ttl: ttlMs,
            history: 1,
            replicas: this.settings.replicas,
            storage: this.settings.storage === 'memory' ? StorageType.Memory : StorageType.File,
          });
        } catch (error) {
          // Made earlier with other replicas or storage: use it as it is.
          if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
          bucket = await this.kvm.open(name);
        }
        await this.streams.leaderOf(`KV_${name}`);
        return bucket;
      });
      this.buckets.set(ttlMs, kv);
      kv.catch(() => this.buckets.delete(ttlMs));
    }
    return kv;
  }
}
