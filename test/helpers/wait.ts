import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !check(); await sleep(5))
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
}
