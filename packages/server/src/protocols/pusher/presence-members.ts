import type { ClientInfo } from '@switchboard/wire';
import { memberOf } from './pusher-codec.js';

/**
 * One presence channel's members as one connection knows them: connections
 * by client id, counted per user, so that `member_added` goes out for a
 * user's first connection only and `member_removed` after their last (the
 * multi-tab rule). Joins and leaves are idempotent by client id.
 */
export class PresenceMembers {
  private readonly byClient = new Map<string, string>();
  private readonly perUser = new Map<string, number>();

  /** From the channel's member list; `subscription_succeeded`'s `presence` data. */
  constructor(clients: readonly ClientInfo[]) {
    for (const client of clients) this.joined(client);
  }

  /** `{ids, hash, count}`: each user once, with the user_info of one of their connections. */
  list(clients: readonly ClientInfo[]): { ids: string[]; hash: Record<string, unknown>; count: number } {
    const hash: Record<string, unknown> = {};
    for (const client of clients) {
      const member = memberOf(client);
      if (member) hash[member.user_id] = member.user_info ?? null;
    }
    const ids = [...this.perUser.keys()];
    return { ids, hash, count: ids.length };
  }

  /** Counts a join: true when it is the user's first connection in the channel. */
  joined(info: ClientInfo): boolean {
    const member = memberOf(info);
    if (!member || this.byClient.has(info.clientId)) return false;
    this.byClient.set(info.clientId, member.user_id);
    const count = (this.perUser.get(member.user_id) ?? 0) + 1;
    this.perUser.set(member.user_id, count);
    return count === 1;
  }

  /** Counts a leave (which carries no channel data): the user, when it was their last connection. */
  left(clientId: string): string | undefined {
    const userId = this.byClient.get(clientId);
    if (userId === undefined) return undefined;
    this.byClient.delete(clientId);
    const count = (this.perUser.get(userId) ?? 1) - 1;
    if (count > 0) this.perUser.set(userId, count);
    else this.perUser.delete(userId);
    return count === 0 ? userId : undefined;
  }
}
