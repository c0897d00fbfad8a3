import type { PresenceEntry, PresenceStats, PresenceStore } from '@switchboard/engine';

/** Presence shared by every store made on it: one hub is one cluster. */
export class MemoryPresenceHub {
  readonly channels = new Map<string, Map<string, { entry: PresenceEntry; expiresAt: number }>>();

  sweep(now = Date.now()): void {
    for (const [channel, entries] of this.channels) {
      for (const [clientId, e] of entries) if (e.expiresAt <= now) entries.delete(clientId);
      if (entries.size === 0) this.channels.delete(channel);
    }
  }
}

export class MemoryPresenceStore implements PresenceStore {
  constructor(private readonly hub: MemoryPresenceHub) {}

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
    const entries = this.hub.channels.get(channel) ?? this.hub.channels.set(channel, new Map()).get(channel)!;
    entries.set(entry.clientId, { entry, expiresAt: Date.now() + ttlMs });
  }

  async remove(channel: string, clientId: string): Promise<void> {
    const entries = this.hub.channels.get(channel);
    entries?.delete(clientId);
    if (entries?.size === 0) this.hub.channels.delete(channel);
  }

  async get(channel: string): Promise<PresenceEntry[]> {
    return this.live(channel);
  }

  async stats(channel: string): Promise<PresenceStats> {
    const entries = this.live(channel);
    return { clients: entries.length, users: new Set(entries.map((e) => e.userId)).size };
  }

  async close(): Promise<void> {}

  private live(channel: string): PresenceEntry[] {
    const now = Date.now();
    const out: PresenceEntry[] = [];
    for (const e of this.hub.channels.get(channel)?.values() ?? []) if (e.expiresAt > now) out.push(e.entry);
    return out;
  }
}
