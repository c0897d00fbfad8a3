import type { Session } from './session.js';

/** This node's sessions, by client id and by user (for user-directed commands). */
export class SessionRegistry {
  private readonly byClient = new Map<string, Session>();
  private readonly byUser = new Map<string, Set<Session>>();

  get size(): number {
    return this.byClient.size;
  }

  add(session: Session): void {
    this.byClient.set(session.clientId, session);
  }

  /** Called once the session knows its user (after `connect`). */
  identify(session: Session): void {
    const set = this.byUser.get(session.userId) ?? this.byUser.set(session.userId, new Set()).get(session.userId)!;
    set.add(session);
  }

  remove(session: Session): void {
    this.byClient.delete(session.clientId);
    const set = this.byUser.get(session.userId);
    set?.delete(session);
    if (set?.size === 0) this.byUser.delete(session.userId);
  }

  ofUser(userId: string): Session[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  userCount(): number {
    return this.byUser.size;
  }

  all(): IterableIterator<Session> {
    return this.byClient.values();
  }
}
