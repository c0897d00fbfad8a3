export interface BackoffOptions {
  /** @default 500 */
  baseMs?: number;
  /** @default 20000 */
  capMs?: number;
}

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(cap, base·2^attempt)).
 * Spreading reconnects over the whole window is what keeps a fleet of clients
 * from reconnecting in waves after a server restart.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 20_000;
  return Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}
