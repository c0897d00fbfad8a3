import type { Push } from '@switchboard/wire';
import type { Pingable } from './heartbeat.js';

/** A session as the node acts on it from outside: user-directed commands, drains, heartbeats and metrics. */
export interface SessionHandle extends Pingable {
  readonly clientId: string;
  /** '' until `connect` is accepted (and for anonymous clients). */
  readonly userId: string;
  readonly isConnected: boolean;
  readonly transportName: string;
  readonly bufferedBytes: number;
  readonly subscriptionCount: number;
  push(push: Push): void;
  disconnect(code: number, reason: string): void;
  /** Ends a subscription from the server's side, telling the client why. */
  serverUnsubscribe(channel: string, code: number, reason: string): void;
  /**
   * Subscribes the connection from the server's side (a `subscribe` push tells the client), recovering from `since`
   * when given.
   */
  serverSubscribe(channel: string, since?: { offset: number; epoch: string }): void;
  /** The backend renewed the credentials: the new expiry (undefined: never). */
  renewed(expiresAt: number | undefined): void;
}

/** This node's sessions, by client id and by user (for user-directed commands). */
export class SessionRegistry {
  private readonly byClient = new Map<string, SessionHandle>();
  private readonly byUser = new Map<string, Set<SessionHandle>>();

  get size(): number {
    return this.byClient.size;
  }

  add(session: SessionHandle): void {
    this.byClient.set(session.clientId, session);
  }

  /** Called once the session knows its user (after `connect`). */
  identify(session: SessionHandle): void {
    const set = this.byUser.get(session.userId) ?? this.byUser.set(session.userId, new Set()).get(session.userId)!;
    set.add(session);
  }

  remove(session: SessionHandle): void {
    this.byClient.delete(session.clientId);
    const set = this.byUser.get(session.userId);
    set?.delete(session);
    if (set?.size === 0) this.byUser.delete(session.userId);
  }

  ofUser(userId: string): SessionHandle[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  userCount(): number {
    return this.byUser.size;
  }

  all(): IterableIterator<SessionHandle> {
    return this.byClient.values();
  }
}
