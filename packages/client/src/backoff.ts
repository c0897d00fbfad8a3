import type { ReconnectWindow } from '@switchboard/wire';

export interface BackoffOptions {
  /** @default 500 */
  baseMs?: number;
  /** @default 20000 */
  capMs?: number;
  /** A source of uniform numbers in [0, 1), for seeded tests. @default Math.random */
  random?: () => number;
}

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(cap, base·2^attempt)).
 * Spreading reconnects over the whole window is what keeps a fleet of clients
 * from reconnecting in waves after a server restart.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 20_000;
  return Math.floor((options.random ?? Math.random)() * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}

/** A uniform delay inside a server's reconnect-after window, so returning clients spread over all of it. */
export function windowDelay(window: ReconnectWindow, random: () => number = Math.random): number {
  return Math.floor(window.minMs + random() * (window.maxMs - window.minMs));
}
