import { setTimeout as sleep } from 'node:timers/promises';
import { withReconnectAfter } from '@switchboard/wire';

export interface DrainPlan {
  /** 1012 (service restart: come back soon) or 1001 (going away). */
  code: number;
  batchSize: number;
  intervalMs: number;
  /** Each client is told to come back at a random moment within [0, this). */
  reconnectWindowMs: number;
}

/**
 * Closes every session in batches, so a deploy does not turn into a reconnect
 * storm: each close reason carries the reconnect-after window, which the SDK
 * honours with jitter, and batches are `intervalMs` apart. Resolves with the
 * number of sessions closed, once the last batch is.
 */
export async function drainSessions(
  sessions: Iterable<{ disconnect(code: number, reason: string): void }>,
  plan: DrainPlan,
): Promise<number> {
  const reason = drainCloseReason(plan.reconnectWindowMs);
  const all = [...sessions];
  for (let i = 0; i < all.length; i += plan.batchSize) {
    if (i > 0) await sleep(plan.intervalMs);
    for (const session of all.slice(i, i + plan.batchSize)) session.disconnect(plan.code, reason);
  }
  return all.length;
}

/** The close reason of a drained connection, and of one refused during a drain: come back within [0, windowMs). */
export function drainCloseReason(windowMs: number): string {
  return withReconnectAfter('server draining', { minMs: 0, maxMs: windowMs });
}
