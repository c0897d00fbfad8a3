/** @switchboard/engine-redis: Broker, PresenceStore and ControlBus over one or more Redis instances. */
export { redisEngine, type RedisEngineOptions } from './redis-engine.js';
export { parseRedisUrl } from './redis-url.js';
export { redactRedisUrl } from './redis-shards.js';
