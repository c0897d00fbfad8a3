import type { DrainPlan } from '@switchboard/server';

/** The environment variable that tells a forked `serve` it is worker slot N (0-based); set by the primary only. */
export const WORKER_SLOT_ENV = 'SB_WORKER_SLOT';
/** Set by the primary when it generated the API key it passes on, so worker 0's banner shows it. */
export const GENERATED_KEY_ENV = 'SB_API_KEY_GENERATED';

/** Messages a worker sends to the primary over the cluster IPC channel. */
export type ToPrimary =
  /** Listening and started; `banner` is printed by the primary for slot 0. */
  | { sb: 'listening'; nodeId: string; name: string; banner: string }
  /** A `/metrics` request arrived here: answer with every worker's, aggregated. */
  | { sb: 'metrics'; id: number }
  /** This worker's registry as JSON, answering the primary's `metrics-json`. */
  | { sb: 'metrics-json'; id: number; metrics: unknown[] }
  /** A drain began here (a signal, `/api/drain`, another node): the primary drains the other workers with it. */
  | { sb: 'drain'; plan: DrainPlan }
  /**
   * This worker failed (it exits next): the primary prints `line`, once for the box, and exits with `code` if it never
   * started.
   */
  | { sb: 'failed'; line: string; code: number };

/** Messages the primary sends to a worker. */
export type ToWorker =
  | { sb: 'metrics'; id: number; text: string | null }
  | { sb: 'metrics-json'; id: number }
  | { sb: 'drain'; plan: DrainPlan };

export function isMessage<T extends { sb: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { sb?: unknown }).sb === 'string';
}
