import type { Engine, EngineFactory, EventLogOptions } from '@switchboard/engine';
import { RedisBroker } from './redis-broker.js';
import { RedisControlBus } from './redis-control-bus.js';
import { RedisEventLog } from './redis-event-log.js';
import { RedisKeys } from './redis-keys.js';
import { RedisOccupancyStore } from './redis-occupancy-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisShards } from './redis-shards.js';

export interface RedisEngineOptions {
  /**
   * One URL per shard (`redis://`, `rediss://`, `redis-sentinel://`); channels are spread over them. @default
   * ['redis://127.0.0.1:6379']
   */
  urls?: string[];
  /** Prefix of every key and pub/sub name, so several deployments can share a Redis. @default 'sb:' */
  prefix?: string;
  /** A command without an answer in this time fails with 115 (temporary). @default 2000 */
  commandTimeoutMs?: number;
  /** Start-up fails if a shard does not answer in this time. @default 10000 */
  connectTimeoutMs?: number;
  /** The lifecycle event log's bounds (webhooks): the same on every node. @default EVENT_LOG_DEFAULTS */
  events?: EventLogOptions;
}

/**
 * The Redis engine: every node on the same Redis (or the same list of shards,
 * in the same order) is one cluster. Any node accepts any connection.
 */
export function redisEngine(options: RedisEngineOptions = {}): EngineFactory {
  const urls = options.urls && options.urls.length > 0 ? options.urls : ['redis://127.0.0.1:6379'];
  return async (node): Promise<Engine> => {
    const keys = new RedisKeys(options.prefix ?? 'sb:');
    let broker: RedisBroker | undefined;
    let control: RedisControlBus | undefined;
    const shards = await RedisShards.connect(
      urls,
      { commandTimeoutMs: options.commandTimeoutMs ?? 2000, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 },
      {
        message(name, message) {
          const channel = keys.channelOf(name);
          if (channel !== undefined) broker?.deliver(channel, message);
          else if (control?.isControl(name)) control.deliver(message);
        },
        restored: () => node.broker.onDeliveryUncertain(),
        log: node.log,
      },
    );
    broker = new RedisBroker(shards, keys, node.broker);
    control = new RedisControlBus(shards, keys, node.nodeId, node.control);
    try {
      await control.start();
    } catch (error) {
      await shards.close();
      throw error;
    }
    const events = new RedisEventLog(shards.control, keys, options.events);
    return {
      name: 'redis',
      broker,
      presence: new RedisPresenceStore(shards, keys),
      control,
      events,
      occupancy: new RedisOccupancyStore(shards.control, keys, events),
      async close() {
        await Promise.allSettled([broker.close(), control.close()]);
        await shards.close();
      },
    };
  };
}
