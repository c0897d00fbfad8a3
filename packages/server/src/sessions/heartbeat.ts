/** What the heartbeat needs of a session. */
export interface Pingable {
  /** Sends a ping and starts waiting for any sign of life. */
  ping(): void;
  /** True while nothing has come from the peer since the last ping. */
  readonly awaitingPong: boolean;
  /** The peer missed its deadline: a half-open connection or a frozen client. */
  heartbeatLost(): void;
}

/**
 * One pair of timers for the node, not one per connection (idle memory): every
 * `intervalMs` each connected session is pinged, and `timeoutMs` later those
 * that sent nothing since are dropped. A peer that goes silent is thus found
 * within interval + timeout.
 */
export class Heartbeat {
  private interval: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;

  constructor(
    /** The node's sessions, read at each beat. */
    private readonly sessions: () => Iterable<Pingable & { readonly isConnected: boolean }>,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    this.interval = setInterval(() => this.beat(), this.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.check);
  }

  private beat(): void {
    for (const session of this.sessions()) if (session.isConnected) session.ping();
    // timeoutMs < intervalMs (validated), so this check always runs before the next beat. Sessions
    // connected since the beat were not pinged and are not awaiting a pong.
    this.check = setTimeout(() => {
      for (const session of this.sessions()) if (session.awaitingPong) session.heartbeatLost();
    }, this.timeoutMs);
    this.check.unref();
  }
}
