/** @switchboard/engine-memory: the embedded default engine (one process, no persistence). */
export { MemoryBroker, MemoryBrokerHub } from './memory-broker.js';
export { MemoryPresenceStore, MemoryPresenceHub } from './memory-presence-store.js';
export { MemoryControlBus, MemoryControlHub } from './memory-control-bus.js';
export { MemoryEventLog, MemoryEventHub } from './memory-event-log.js';
export { MemoryOccupancyStore, MemoryOccupancyHub } from './memory-occupancy-store.js';
export { memoryEngine, MemoryCluster, type MemoryEngineOptions } from './memory-engine.js';
