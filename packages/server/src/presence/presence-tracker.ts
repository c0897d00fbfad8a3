import type { PresenceEntry, PresenceStore } from '@switchboard/engine';
import type { ClientInfo } from '@switchboard/wire';
import type { ResolvedChannel } from '../channels/namespaces.js';
import { commandErrors } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Where a user's connections are counted (`maxConnectionsPerUser`); `$` is in no namespace, so no channel has this key.
 */
const USER_KEY = '$user:';

/** Where join/leave go: every node's subscribers of the channel (the cluster's control bus). */
export interface PresenceBroadcast {
  broadcast(type: 'join' | 'leave', payload: { channel: string; info: ClientInfo }): Promise<void>;
  broadcast(type: 'presence', payload: { channel: string; joins: ClientInfo[]; leaves: ClientInfo[] }): Promise<void>;
}

/**
 * Told of each connection that joins or leaves a presence channel; `member` is its user id, or its client id when
 * anonymous.
 */
export interface PresenceMembers {
  memberJoined(channel: string, member: string): void;
  memberLeft(channel: string, member: string): void;
}

interface PresenceDiff {
  joins: Map<string, PresenceEntry>;
  leaves: Map<string, PresenceEntry>;
  timer: NodeJS.Timeout;
}

/**
 * Presence of this node's sessions. Entries live in the engine's PresenceStore
 * with a TTL that this node keeps refreshing, so the entries of a node that dies
 * disappear on their own; a session that closes, cleanly or not, removes its own.
 * Join/leave travel over the control bus to every node's subscribers.
 */
export class PresenceTracker {
  private readonly local = new Map<string, Map<string, PresenceEntry>>();
  private timer: NodeJS.Timeout | undefined;
  /** Joins and leaves waiting for their channel's window to end. */
  private readonly diffs = new Map<string, PresenceDiff>();
  /** Leaves still being written, so that a closing node removes its entries before its engine goes. */
  private readonly leaving = new Set<Promise<void>>();
  private members: PresenceMembers | undefined;
  private counts: ((channel: string) => void) | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly cluster: PresenceBroadcast,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  /** Reports every join and leave from now on. */
  watchMembers(members: PresenceMembers): void {
    this.members = members;
  }

  /** Told after each join and leave is written to the store: the channel's counts may have changed. */
  watchCounts(listener: (channel: string) => void): void {
    this.counts = listener;
  }

  start(): void {
    this.timer = setInterval(() => this.refresh(), Math.max(1, Math.floor(this.ttlMs / 3))).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const [channel, diff] of [...this.diffs]) this.flush(channel, diff);
    await Promise.allSettled(this.leaving);
  }

  /**
   * Counts a connection of `userId` across the cluster: an entry under a key no
   * channel can have, kept alive with the node's other entries. Resolves with
   * the user's connections, this one included.
   */
  async addConnection(userId: string, entry: PresenceEntry): Promise<number> {
    const key = USER_KEY + userId;
    this.entriesOf(key).set(entry.clientId, entry);
    await this.store.add(key, entry, this.ttlMs);
    return (await this.store.stats(key)).clients;
  }

  removeConnection(userId: string, clientId: string): Promise<void> {
    const key = USER_KEY + userId;
    this.forget(key, clientId);
    const done = this.store.remove(key, clientId);
    this.leaving.add(done);
    void done.catch(() => {}).finally(() => this.leaving.delete(done));
    return done;
  }

  async join(channel: ResolvedChannel, entry: PresenceEntry): Promise<void> {
    const { presence, joinLeave, presenceMode, maxPresenceMembers } = channel.options;
    if (!presence) return;
    const entries = this.entriesOf(channel.channel);
    if (maxPresenceMembers > 0 && entries.size >= maxPresenceMembers && !entries.has(entry.clientId)) {
      throw commandErrors.limit(`presence is full (${maxPresenceMembers} members on this node)`);
    }
    const added = !entries.has(entry.clientId);
    if (added) this.members?.memberJoined(channel.channel, memberOf(entry));
    entries.set(entry.clientId, entry);
    await this.store.add(channel.channel, entry, this.ttlMs);
    if (added) this.counts?.(channel.channel);
    if (joinLeave && presenceMode === 'full') await this.announce(channel, 'join', entry);
  }

  leave(channel: ResolvedChannel, entry: PresenceEntry): Promise<void> {
    const done = this.remove(channel, entry);
    this.leaving.add(done);
    void done.catch(() => {}).finally(() => this.leaving.delete(done));
    return done;
  }

  private async remove(channel: ResolvedChannel, entry: PresenceEntry): Promise<void> {
    const { presence, joinLeave, presenceMode } = channel.options;
    if (!presence) return;
    // Never joined (refused by maxPresenceMembers): nothing to remove, no leave to tell.
    if (!this.forget(channel.channel, entry.clientId)) return;
    this.members?.memberLeft(channel.channel, memberOf(entry));
    await this.store.remove(channel.channel, entry.clientId);
    this.counts?.(channel.channel);
    if (joinLeave && presenceMode === 'full') await this.announce(channel, 'leave', entry);
  }

  /** One join/leave at once, or gathered into the channel's window (`joinLeaveWindowMs`). */
  private announce(channel: ResolvedChannel, kind: 'join' | 'leave', entry: PresenceEntry): Promise<void> {
    const windowMs = channel.options.joinLeaveWindowMs;
    if (windowMs === 0) return this.cluster.broadcast(kind, { channel: channel.channel, info: entry });
    let diff = this.diffs.get(channel.channel);
    if (!diff) {
      const created: PresenceDiff = {
        joins: new Map(),
        leaves: new Map(),
        timer: setTimeout(() => this.flush(channel.channel, created), windowMs),
      };
      this.diffs.set(channel.channel, (diff = created));
    }
    // A join and a leave of the same connection in one window cancel out; a leave then a join stay (leaves apply
    // first).
    if (kind === 'join') diff.joins.set(entry.clientId, entry);
    else if (!diff.joins.delete(entry.clientId)) diff.leaves.set(entry.clientId, entry);
    return Promise.resolve();
  }

  private flush(channel: string, diff: PresenceDiff): void {
    clearTimeout(diff.timer);
    if (this.diffs.get(channel) === diff) this.diffs.delete(channel);
    if (diff.joins.size === 0 && diff.leaves.size === 0) return;
    const sent = this.cluster
      .broadcast('presence', { channel, joins: [...diff.joins.values()], leaves: [...diff.leaves.values()] })
      .catch((error: unknown) => this.log.warn({ err: error, channel }, 'presence diff not sent'));
    this.leaving.add(sent);
    void sent.finally(() => this.leaving.delete(sent));
  }

  private entriesOf(key: string): Map<string, PresenceEntry> {
    return this.local.get(key) ?? this.local.set(key, new Map()).get(key)!;
  }

  private forget(key: string, clientId: string): boolean {
    const entries = this.local.get(key);
    const had = entries?.delete(clientId) ?? false;
    if (entries?.size === 0) this.local.delete(key);
    return had;
  }

  private refresh(): void {
    for (const [channel, entries] of this.local) {
      for (const entry of entries.values()) {
        this.store
          .add(channel, entry, this.ttlMs)
          .catch((error: unknown) => this.log.warn({ err: error, channel }, 'presence refresh failed'));
      }
    }
  }
}

const memberOf = (entry: PresenceEntry) => (entry.userId !== '' ? entry.userId : entry.clientId);
