import type { OccupancyStore } from '@switchboard/engine';
import type { Logger } from '../logger.js';
import { HoldingKind, type LifecycleEmitter } from './lifecycle-emitter.js';

const RANK = [HoldingKind.subscription, HoldingKind.member, HoldingKind.channel, HoldingKind.client] as const;
const rank = (key: string) => RANK.indexOf(key.slice(0, 3) as (typeof RANK)[number]);

/**
 * Ends the holdings of nodes that died. Every `intervalMs` this node marks itself
 * alive for `ttlMs` and evicts, in `HoldingKind` order, everything held by nodes
 * whose mark lapsed: their subscribers' unsubscribe and disconnect (`node-gone`),
 * and member_removed and channel_vacated where the dead node had the last. Every
 * survivor does this; the OccupancyStore makes each eviction happen once. A dead
 * node's events are therefore produced within `ttlMs + intervalMs` of its last mark.
 */
export class NodeReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly occupancy: OccupancyStore,
    private readonly emitter: Pick<LifecycleEmitter, 'evict'>,
    private readonly ttlMs: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.occupancy.alive(this.nodeId, this.ttlMs);
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: unknown) => this.log.warn({ err: error }, 'dead-node sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: refresh our mark, then end what dead nodes held. */
  async sweep(): Promise<void> {
    await this.occupancy.alive(this.nodeId, this.ttlMs);
    for (const node of await this.occupancy.deadNodes()) {
      if (node === this.nodeId) continue;
      const holdings = (await this.occupancy.holdings(node)).sort((a, b) => rank(a.key) - rank(b.key));
      this.log.info(
        { node, holdings: holdings.length },
        'node gone: ending its connections, subscriptions and channels',
      );
      for (const h of holdings) await this.emitter.evict(node, h.key, h.member);
    }
  }
}
