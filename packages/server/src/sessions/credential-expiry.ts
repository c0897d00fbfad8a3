import { DisconnectCode, type Push } from '@switchboard/wire';
import { DisconnectError } from '../errors.js';
import type { Renewal } from '../hooks.js';

/** The session as its credential clock acts on it. */
export interface ExpiringSession {
  push(push: Push): void;
  disconnect(code: number, reason: string): void;
  /** The server renewed the credentials (`renew`): the new expiry. */
  renewed(expiresAt: number | undefined): void;
}

/**
 * A connection's credential lifetime. When `expiresAt` passes, the server
 * renews the credentials itself when it can (`renew`: the `refresh` proxy);
 * otherwise, or when that fails, the client is asked to `refresh` (a push), and
 * if no refresh moves the expiry within the grace period, the connection ends
 * with 3005 and the client reconnects with a fresh token. Asking first lets a
 * client whose refresh was late keep its connection.
 */
export class CredentialExpiry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: ExpiringSession,
    private readonly graceMs: number,
    private readonly renew?: () => Promise<Renewal>,
  ) {}

  /** Starts (or restarts, after a refresh) the clock; `undefined` means the credentials do not expire. */
  set(expiresAt: number | undefined): void {
    this.stop();
    if (expiresAt === undefined) return;
    this.timer = setTimeout(() => void this.expired(), Math.max(0, expiresAt - Date.now()));
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async expired(): Promise<void> {
    this.timer = undefined;
    if (this.renew) {
      try {
        const renewal = await this.renew();
        if (renewal === null) return this.session.disconnect(DisconnectCode.Expired, 'credentials expired');
        return this.session.renewed(renewal.expiresAt);
      } catch (error) {
        if (error instanceof DisconnectError) return this.session.disconnect(error.code, error.reason);
        // The backend could not say: the client may still refresh.
      }
    }
    this.session.push({ push: 'refresh', graceMs: this.graceMs });
    this.timer = setTimeout(() => this.session.disconnect(DisconnectCode.Expired, 'credentials expired'), this.graceMs);
    this.timer.unref();
  }
}
