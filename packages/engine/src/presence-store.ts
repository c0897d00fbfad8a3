/** One connection present in a channel. */
export interface PresenceEntry {
  clientId: string;
  userId: string;
  /** Connection info the server chose to share (name, device…). */
  connInfo?: unknown;
}

export interface PresenceStats {
  clients: number;
  users: number;
}

/**
 * Who is in a channel, across all nodes.
 *
 * Contract: an entry lives until `remove` or until its TTL passes without a
 * refresh (`add` again), so a dead node's entries disappear on their own.
 * `add` of an existing clientId replaces it and restarts its TTL.
 */
export interface PresenceStore {
  add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  remove(channel: string, clientId: string): Promise<void>;
  get(channel: string): Promise<PresenceEntry[]>;
  stats(channel: string): Promise<PresenceStats>;
  close(): Promise<void>;
}
