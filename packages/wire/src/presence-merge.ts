import type { ClientInfo, Push } from './messages.js';

/** Who is present in one channel, by client id. Treated as immutable: merges return a new map. */
export type PresenceState = ReadonlyMap<string, ClientInfo>;

/** A join or leave: the push itself, or the client SDK's event (`type` instead of `push`). */
export type PresenceDiff =
  | Pick<Extract<Push, { push: 'join' | 'leave' }>, 'push' | 'info'>
  | { type: 'join' | 'leave'; info: ClientInfo };

/** The state a `presence` reply describes. */
export function presenceFromList(entries: readonly ClientInfo[]): PresenceState {
  return new Map(entries.map((e) => [e.clientId, e]));
}

/**
 * Applies one join or leave. A join for a known client replaces it (its
 * info may have changed); a leave for an unknown one changes nothing, so diffs
 * that race a snapshot are harmless.
 */
export function applyPresenceDiff(state: PresenceState, diff: PresenceDiff): PresenceState {
  const next = new Map(state);
  if (('push' in diff ? diff.push : diff.type) === 'join') next.set(diff.info.clientId, diff.info);
  else next.delete(diff.info.clientId);
  return next;
}

/** The same presence grouped by user: one entry per user, with all their connections. */
export function presenceByUser(state: PresenceState): Map<string, ClientInfo[]> {
  const users = new Map<string, ClientInfo[]>();
  for (const info of state.values()) {
    const list = users.get(info.userId);
    if (list) list.push(info);
    else users.set(info.userId, [info]);
  }
  return users;
}
