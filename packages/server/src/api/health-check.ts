/** What readiness looks at: the node's state, and a probe of its engine. */
export interface HealthSource {
  /** `starting` before the engine is up (and after close), `draining` once a drain has begun. */
  state(): 'starting' | 'running' | 'draining';
  /** One cheap read from the engine; rejects when the engine's backend does not answer. */
  probe(): Promise<unknown>;
}

export type Readiness =
  | { ready: true; status: 'ok' }
  | { ready: false; status: 'starting' | 'draining' | 'engine-unavailable' };

/**
 * Liveness and readiness for load balancers and orchestrators. Ready means the
 * engine answered a read within `timeoutMs` and the node is not draining:
 * otherwise 503, so new connections go elsewhere. Concurrent probes share one
 * engine read, so a burst of health checks costs the engine one command.
 */
export class HealthCheck {
  private pending: Promise<boolean> | undefined;

  constructor(
    private readonly source: HealthSource,
    private readonly timeoutMs: number,
  ) {}

  async readiness(): Promise<Readiness> {
    const state = this.source.state();
    if (state !== 'running') return { ready: false, status: state };
    const engineOk = await (this.pending ??= this.probe().finally(() => (this.pending = undefined)));
    // A drain may have begun while the engine was probed.
    const now = this.source.state();
    if (now !== 'running') return { ready: false, status: now };
    return engineOk ? { ready: true, status: 'ok' } : { ready: false, status: 'engine-unavailable' };
  }

  private async probe(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.timeoutMs)));
    try {
      return await Promise.race([
        this.source.probe().then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
