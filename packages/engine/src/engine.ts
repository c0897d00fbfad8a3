import type { Broker, BrokerHandler } from './broker.js';
import type { ControlBus, ControlHandler } from './control-bus.js';
import type { EventLog } from './event-log.js';
import type { OccupancyStore } from './occupancy-store.js';
import type { PresenceStore } from './presence-store.js';

/** What a server node hands its engine: who it is and where deliveries go. */
export interface EngineNode {
  nodeId: string;
  broker: BrokerHandler;
  control: ControlHandler;
  /** Where an engine reports its links going down and coming back (the server's logger fits). */
  log?: EngineLog;
}

export interface EngineLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The three parts one node uses, built together so they can share connections. */
export interface Engine {
  readonly name: string;
  readonly broker: Broker;
  readonly presence: PresenceStore;
  readonly control: ControlBus;
  /** Lifecycle events and their consumers (webhooks); an engine without it cannot serve webhooks. */
  readonly events?: EventLog;
  /** Cluster-wide occupancy and membership, appending to `events`; present with it. */
  readonly occupancy?: OccupancyStore;
  close(): Promise<void>;
}

/**
 * Builds a node's engine. The server calls it once at start-up; choosing an
 * engine (memory, Redis, NATS) is choosing a factory, nothing else changes.
 */
export type EngineFactory = (node: EngineNode) => Promise<Engine>;
