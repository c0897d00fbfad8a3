import type { Broker, BrokerHandler } from './broker.js';
import type { ControlBus, ControlHandler } from './control-bus.js';
import type { PresenceStore } from './presence-store.js';

/** What a server node hands its engine: who it is and where deliveries go. */
export interface EngineNode {
  nodeId: string;
  broker: BrokerHandler;
  control: ControlHandler;
}

/** The three parts one node uses, built together so they can share connections. */
export interface Engine {
  readonly name: string;
  readonly broker: Broker;
  readonly presence: PresenceStore;
  readonly control: ControlBus;
  close(): Promise<void>;
}

/**
 * Builds a node's engine. The server calls it once at start-up; choosing an
 * engine (memory, Redis, NATS) is choosing a factory, nothing else changes.
 */
export type EngineFactory = (node: EngineNode) => Promise<Engine>;
