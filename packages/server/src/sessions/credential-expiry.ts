import { DisconnectCode, type Push } from '@switchboard/wire';

/**
 * A connection's credential lifetime. When `expiresAt` passes the client is asked
 * to `refresh` (a push), and if no refresh moves the expiry within the grace
 * period, the connection ends with 3005 and the client reconnects with a fresh
 * token. Asking first lets a client whose refresh was late keep its connection.
 */
export class CredentialExpiry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: { push(push: Push): void; disconnect(code: number, reason: string): void },
    private readonly graceMs: number,
  ) {}

  /** Starts (or restarts, after a refresh) the clock; `undefined` means the credentials do not expire. */
  set(expiresAt: number | undefined): void {
    this.stop();
    if (expiresAt === undefined) return;
    this.timer = setTimeout(() => this.expired(), Math.max(0, expiresAt - Date.now()));
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private expired(): void {
    this.session.push({ push: 'refresh', graceMs: this.graceMs });
    this.timer = setTimeout(() => this.session.disconnect(DisconnectCode.Expired, 'credentials expired'), this.graceMs);
    this.timer.unref();
  }
}
