// What the storm orchestrator and its worker processes say over IPC.

export type StormPolicy = 'shipped' | 'fixed' | 'immediate';

export interface StormPlan {
  url: string;
  token?: string;
  policy: StormPolicy;
  /** Global index of this worker's first client, and how many it runs. Client i joins channel i mod channels. */
  from: number;
  count: number;
  channels: number;
  channelPrefix: string;
}

export interface StormCounters {
  /** Clients connected now. */
  connected: number;
  /** Times a client became connected (the first connect included). */
  connects: number;
  /** Connection attempts started (the state became `connecting`). */
  attempts: number;
  /** Attempts that ended before `connected` (refused with 503, reset, turned away). */
  failedAttempts: number;
  /** Connections lost after they were up. */
  disconnects: number;
  deliveries: number;
  duplicates: number;
  /** Publications skipped over (never recovered). */
  gaps: number;
  /** `gap` events: the server said a recovery could not replay everything. */
  recoveredGaps: number;
}

export type StormToWorker =
  | { type: 'start'; plan: StormPlan }
  | { type: 'finish'; published: number[]; waitMs: number };
export type StormFromWorker =
  | { type: 'progress'; counters: StormCounters }
  | { type: 'result'; counters: StormCounters; lost: number };
