// What the bench orchestrator and its worker processes say to each other over the IPC channel, and
// the publication data they agree on.
import type { LoadTarget } from './load-transport.js';

export interface WorkerPlan {
  transport: string;
  /** Targets, taken in turn by connection index. */
  targets: LoadTarget[];
  /** Global connection indices [from, to): connection i subscribes to channel i % channels. */
  from: number;
  to: number;
  channels: number;
  channelPrefix: string;
  /** Local addresses taken in turn: connection i binds to addresses[i % length]; none: the kernel picks. */
  addresses: string[];
  /** Opens in flight per worker. */
  concurrency: number;
  /** Failed opens are retried this many times, 250–1000 ms apart. */
  retries: number;
  /**
   * Connection i also subscribes to `<personalPrefix><i>`, a channel of its own (no publications: its cost is memory).
   */
  personalPrefix?: string;
}

/** Counters a worker reports, cumulative. */
export interface WorkerCounters {
  opened: number;
  failedOpens: number;
  attempts: number;
  closed: number;
  deliveries: number;
  duplicates: number;
  /** Publications that arrived after a later one: seen as a gap when they skipped ahead. */
  gaps: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
}

type HistogramJson = { buckets: [number, number][]; count: number; max: number };

export type ToWorker =
  | { type: 'start'; plan: WorkerPlan }
  | { type: 'measure' }
  | { type: 'finish'; published: number[]; waitMs: number };

export type FromWorker =
  | { type: 'progress'; counters: WorkerCounters }
  | { type: 'joined'; counters: WorkerCounters; connect: HistogramJson }
  /** `first`: the latency of each channel's first publication (s = 0) alone. */
  | {
      type: 'result';
      counters: WorkerCounters;
      latency: HistogramJson;
      first: HistogramJson;
      connect: HistogramJson;
      missing: number;
    };

/**
 * A publication's data: channel index, per-channel sequence from 0, send time on the shared clock, padding to the
 * payload size.
 */
export interface BenchData {
  c: number;
  s: number;
  t: number;
  p: string;
}

export function channelName(prefix: string, index: number): string {
  return `${prefix}${index}`;
}
