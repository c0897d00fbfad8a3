/** @switchboard/engine: the seam between the server and its engines (memory, Redis, NATS). */
export type { StreamPosition, Publication } from './stream-position.js';
export type {
  Broker,
  BrokerHandler,
  HistoryOptions,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
} from './broker.js';
export type { PresenceStore, PresenceEntry, PresenceStats } from './presence-store.js';
export type { ControlBus, ControlHandler, ControlMessage, ControlRequestOptions } from './control-bus.js';
export { DEFAULT_CONTROL_REQUEST_TIMEOUT_MS } from './control-bus.js';
export type { EventLog, EventLogOptions, LogEvent, StoredEvent, DeadLetter } from './event-log.js';
export { EVENT_LOG_DEFAULTS, partitionOf } from './event-log.js';
export type { OccupancyStore, Holding } from './occupancy-store.js';
export type { Engine, EngineFactory, EngineLog, EngineNode } from './engine.js';
export {
  EngineUnavailableError,
  ControlRequestError,
  ControlRequestErrorCode,
  answerControlRequest,
} from './engine-errors.js';
