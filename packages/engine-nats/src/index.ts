/** @switchboard/engine-nats: Broker, PresenceStore and ControlBus over NATS JetStream. */
export { natsEngine, resolveNatsEngineOptions, type NatsEngineOptions } from './nats-engine.js';
export type { PublishCounters } from './nats-broker.js';
export { NatsBroker } from './nats-broker.js';
export { redactNatsUrl } from './nats-link.js';
export { deleteNatsStreams } from './delete-nats-streams.js';
