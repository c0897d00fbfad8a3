import type { ResolvedWebhook } from './webhook-options.js';
import { signWebhook } from './webhook-signature.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export interface PostOutcome {
  ok: boolean;
  /** Why not: the status, a timeout or the connection error. */
  error?: string;
}

/**
 * Sends signed requests for the webhooks of one node, at most `maxInFlight` at once
 * per webhook (the rest wait here, in order). Every non-2xx answer, timeout or
 * connection error is a failure to retry.
 */
export class WebhookPoster {
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly metrics: WebhookMetrics) {}

  async post(hook: ResolvedWebhook, id: string, body: string): Promise<PostOutcome> {
    await this.acquire(hook);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'switchboard-webhooks',
      ...signWebhook(hook.key, id, Math.floor(Date.now() / 1000), body),
    };
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(hook.timeoutMs),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => {});
      const ok = res.status >= 200 && res.status < 300;
      this.metrics.requests.inc({ webhook: hook.name, outcome: ok ? 'ok' : 'failed' });
      return ok ? { ok } : { ok, error: `status ${res.status}` };
    } catch (error) {
      this.metrics.requests.inc({ webhook: hook.name, outcome: 'failed' });
      const e = error as Error & { cause?: { code?: string } };
      return {
        ok: false,
        error: e.name === 'TimeoutError' ? `no answer within ${hook.timeoutMs} ms` : (e.cause?.code ?? e.message),
      };
    } finally {
      this.release(hook);
    }
  }

  /** Requests in flight for `hook` now (tests, the admin view). */
  active(hook: ResolvedWebhook): number {
    return this.inFlight.get(hook.name) ?? 0;
  }

  private async acquire(hook: ResolvedWebhook): Promise<void> {
    const n = this.inFlight.get(hook.name) ?? 0;
    if (n >= hook.maxInFlight) {
      await new Promise<void>((resolve) =>
        (this.waiting.get(hook.name) ?? this.waiting.set(hook.name, []).get(hook.name)!).push(resolve),
      );
    } else this.inFlight.set(hook.name, n + 1);
    this.metrics.inFlight.set({ webhook: hook.name }, this.inFlight.get(hook.name)!);
  }

  /** Hands the slot to the next waiter, or frees it. */
  private release(hook: ResolvedWebhook): void {
    const next = this.waiting.get(hook.name)?.shift();
    if (next) return next();
    this.inFlight.set(hook.name, this.inFlight.get(hook.name)! - 1);
    this.metrics.inFlight.set({ webhook: hook.name }, this.inFlight.get(hook.name)!);
  }
}
