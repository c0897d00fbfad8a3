import type { PresenceEntry, PresenceStats, PresenceStore } from '@switchboard/engine';
import { scripts } from './lua-script.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShards } from './redis-shards.js';

/**
 * Presence in Redis: per channel a hash (clientId → entry) and a sorted set
 * (clientId → expiry, on the Redis clock). The owning node refreshes its
 * entries; a dead node's entries expire and are dropped on the next read.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly shards: RedisShards,
    private readonly keys: RedisKeys,
  ) {}

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
    await this.shards
      .of(channel)
      .run(scripts.presenceAdd, this.keys.presence(channel), [entry.clientId, JSON.stringify(entry), ttlMs]);
  }

  async remove(channel: string, clientId: string): Promise<void> {
    await this.shards.of(channel).run(scripts.presenceRemove, this.keys.presence(channel), [clientId]);
  }

  async get(channel: string): Promise<PresenceEntry[]> {
    const values = (await this.shards
      .of(channel)
      .run(scripts.presenceGet, this.keys.presence(channel), [])) as string[];
    return values.map((v) => JSON.parse(v) as PresenceEntry);
  }

  async stats(channel: string): Promise<PresenceStats> {
    const entries = await this.get(channel);
    return { clients: entries.length, users: new Set(entries.map((e) => e.userId)).size };
  }

  async close(): Promise<void> {}
}
