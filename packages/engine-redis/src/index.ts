/** @switchboard/engine-redis: Broker, PresenceStore and ControlBus over one or more Redis instances. */
export { redisEngine, type RedisEngineOptions } from './redis-engine.js';
export { parseRedisUrl, redactRedisUrl } from './redis-url.js';
