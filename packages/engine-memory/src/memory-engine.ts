import type { Engine, EngineFactory, EventLogOptions } from '@switchboard/engine';
import { MemoryBroker, MemoryBrokerHub } from './memory-broker.js';
import { MemoryControlBus, MemoryControlHub } from './memory-control-bus.js';
import { MemoryEventHub, MemoryEventLog } from './memory-event-log.js';
import { MemoryOccupancyHub, MemoryOccupancyStore } from './memory-occupancy-store.js';
import { MemoryPresenceHub, MemoryPresenceStore } from './memory-presence-store.js';

/** One in-process "cluster": nodes made from the same MemoryCluster share streams, presence and the bus. */
export class MemoryCluster {
  readonly broker = new MemoryBrokerHub();
  readonly presence = new MemoryPresenceHub();
  readonly control = new MemoryControlHub();
  readonly events: MemoryEventHub;
  readonly occupancy: MemoryOccupancyHub;
  private sweeper: NodeJS.Timeout | undefined;
  private nodes = 0;

  /** `events`: the bounds of the cluster's lifecycle event log. */
  constructor(options: { events?: EventLogOptions } = {}) {
    this.events = new MemoryEventHub(options.events);
    this.occupancy = new MemoryOccupancyHub(this.events);
  }

  /** Expired streams, idempotency keys and presence entries are swept while any node is open. */
  retain(sweepIntervalMs: number): void {
    if (this.nodes++ === 0) {
      this.sweeper = setInterval(() => {
        this.broker.sweep();
        this.presence.sweep();
      }, sweepIntervalMs).unref();
    }
  }

  release(): void {
    if (--this.nodes === 0) clearInterval(this.sweeper);
  }
}

export interface MemoryEngineOptions {
  /** Share state with other nodes in this process (tests of multi-node behaviour). @default a new cluster */
  cluster?: MemoryCluster;
  /**
   * The lifecycle event log's bounds, for the cluster this makes (ignored with `cluster`). @default EVENT_LOG_DEFAULTS
   */
  events?: EventLogOptions;
  /** How often expired entries are dropped. @default 10000 */
  sweepIntervalMs?: number;
}

/** The embedded default engine: everything in this process's memory, nothing persisted. */
export function memoryEngine(options: MemoryEngineOptions = {}): EngineFactory {
  const cluster = options.cluster ?? new MemoryCluster({ events: options.events });
  return async (node): Promise<Engine> => {
    cluster.retain(options.sweepIntervalMs ?? 10_000);
    const control = new MemoryControlBus(cluster.control, node.nodeId, node.control);
    const broker = new MemoryBroker(cluster.broker, node.broker);
    return {
      name: 'memory',
      broker,
      presence: new MemoryPresenceStore(cluster.presence),
      control,
      events: new MemoryEventLog(cluster.events),
      occupancy: new MemoryOccupancyStore(cluster.occupancy),
      async close() {
        await broker.close();
        await control.close();
        cluster.release();
      },
    };
  };
}
