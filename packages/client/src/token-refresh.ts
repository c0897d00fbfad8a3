import type { RefreshParams, RefreshResult } from '@switchboard/wire';
import { fullJitterDelay, type BackoffOptions } from './backoff.js';
import { ClientError, ClientErrorCode } from './client-errors.js';

export interface TokenRefreshHost {
  getToken: (() => Promise<string | null>) | undefined;
  request(method: 'refresh', params: RefreshParams): Promise<RefreshResult>;
  report(error: ClientError): void;
  backoff: BackoffOptions | undefined;
}

/**
 * Refreshes a connection's credentials in place, with the `refresh` command:
 * ahead of `expiresAt` (by `aheadMs`, at most half the lifetime), or at once
 * when the server asks. A failure is retried with backoff; if none succeeds in
 * the server's grace period, the server disconnects (3005) and the client
 * reconnects with a fresh token.
 */
export class TokenRefresh {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  private failures = 0;

  constructor(
    private readonly host: TokenRefreshHost,
    private readonly aheadMs: number,
  ) {}

  /** Arms the refresh for credentials that expire at `expiresAt` (Unix ms). */
  schedule(expiresAt: number | undefined): void {
    this.stop();
    if (expiresAt === undefined || !this.host.getToken) return;
    const ttl = expiresAt - Date.now();
    this.later(Math.max(0, ttl - Math.min(this.aheadMs, ttl / 2)));
  }

  /** The server asked (its `refresh` push). */
  now(): void {
    this.stop();
    if (this.host.getToken) void this.refresh(this.generation);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.generation++;
  }

  private later(delayMs: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => void this.refresh(generation), delayMs);
  }

  private async refresh(generation: number): Promise<void> {
    try {
      const token = await this.host.getToken!();
      // No credentials any more (signed out): let the server expire the connection.
      if (token === null || generation !== this.generation) return;
      const { expiresAt } = await this.host.request('refresh', { token });
      if (generation !== this.generation) return;
      this.failures = 0;
      this.schedule(expiresAt);
    } catch (error) {
      if (generation !== this.generation) return;
      this.host.report(
        error instanceof ClientError
          ? error
          : new ClientError(ClientErrorCode.TokenUnavailable, `getToken failed: ${String(error)}`, true),
      );
      this.later(fullJitterDelay(this.failures++, this.host.backoff));
    }
  }
}
