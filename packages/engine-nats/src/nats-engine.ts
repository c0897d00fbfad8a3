import type { Engine, EngineFactory, EventLogOptions } from '@switchboard/engine';
import { EVENT_LOG_DEFAULTS } from '@switchboard/engine';
import { NatsBroker } from './nats-broker.js';
import { NatsControlBus } from './nats-control-bus.js';
import { NatsEventLog } from './nats-event-log.js';
import { NatsEventParts } from './nats-event-parts.js';
import { NatsLink } from './nats-link.js';
import { NatsOccupancyStore } from './nats-occupancy-store.js';
import { NatsNames } from './nats-names.js';
import { NatsPresenceStore } from './nats-presence-store.js';
import { NatsStreams } from './nats-streams.js';

export interface NatsEngineOptions {
  /** Seed URLs of one NATS server or cluster (`nats://host:port`, `tls://…`). @default ['nats://127.0.0.1:4222'] */
  servers?: string[];
  /**
   * Prefix of every subject, stream and bucket, so several deployments can share a NATS. Letters, digits, `_`,
   * `-`. @default 'sb'
   */
  prefix?: string;
  /** Copies of each stream and bucket: 1 on one server, 3 (or 5) on a cluster. @default 1 */
  replicas?: number;
  /** Where streams keep messages. `memory` loses history (new epochs) when a server restarts. @default 'file' */
  storage?: 'file' | 'memory';
  /** JetStream's `duplicate_window` for idempotency keys (capped by a stream's history TTL). @default 300000 */
  idempotencyWindowMs?: number;
  /** A command without an answer in this time fails with 115 (temporary). @default 2000 */
  commandTimeoutMs?: number;
  /** Start-up fails if no server answers in this time. @default 10000 */
  connectTimeoutMs?: number;
  /** The lifecycle event log's bounds (webhooks): the same on every node. @default EVENT_LOG_DEFAULTS */
  events?: EventLogOptions;
}

const DEFAULTS = Object.freeze({
  servers: ['nats://127.0.0.1:4222'],
  prefix: 'sb',
  replicas: 1,
  storage: 'file' as const,
  idempotencyWindowMs: 300_000,
  commandTimeoutMs: 2000,
  connectTimeoutMs: 10_000,
  events: {} as EventLogOptions,
});

/** The NATS engine's options, merged with the defaults and checked; throws TypeError naming the option. */
export function resolveNatsEngineOptions(options: NatsEngineOptions = {}): Required<NatsEngineOptions> {
  const o = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<NatsEngineOptions>;
  if (o.servers.length === 0) o.servers = DEFAULTS.servers;
  const positive = (name: keyof NatsEngineOptions) => {
    const value = o[name] as number;
    if (!Number.isInteger(value) || value <= 0)
      throw new TypeError(`NATS engine option ${name} must be a positive integer, got ${value}`);
  };
  positive('replicas');
  positive('idempotencyWindowMs');
  positive('commandTimeoutMs');
  positive('connectTimeoutMs');
  if (o.replicas > 5)
    throw new TypeError(`NATS engine option replicas must be at most 5 (JetStream's limit), got ${o.replicas}`);
  if (o.storage !== 'file' && o.storage !== 'memory')
    throw new TypeError(`NATS engine option storage must be 'file' or 'memory', got ${String(o.storage)}`);
  new NatsNames(o.prefix); // validates the prefix
  return o;
}

/**
 * The NATS JetStream engine: every node on the same NATS (server or cluster) with
 * the same prefix is one Switchboard cluster. Needs JetStream enabled; works on
 * nats-server 2.9 and later.
 */
export function natsEngine(options: NatsEngineOptions = {}): EngineFactory {
  const o = resolveNatsEngineOptions(options);
  return async (node): Promise<Engine> => {
    const link = await NatsLink.connect({
      servers: o.servers,
      commandTimeoutMs: o.commandTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      log: node.log,
    });
    const names = new NatsNames(o.prefix);
    const settings = { replicas: o.replicas, storage: o.storage, idempotencyWindowMs: o.idempotencyWindowMs };
    const streams = new NatsStreams(link, names, settings);
    const broker = new NatsBroker(link, names, streams, node.broker);
    const control = new NatsControlBus(link, names, node.nodeId, node.control);
    try {
      await control.start();
    } catch (error) {
      await link.close();
      throw error;
    }
    node.log?.info({ version: link.serverVersion, replicas: o.replicas, storage: o.storage }, 'nats engine connected');
    const parts = new NatsEventParts(
      link,
      o.prefix,
      settings,
      o.events.deadLetterCap ?? EVENT_LOG_DEFAULTS.deadLetterCap,
    );
    const events = new NatsEventLog(parts, o.events);
    return {
      name: 'nats',
      events,
      occupancy: new NatsOccupancyStore(parts, events),
      broker,
      presence: new NatsPresenceStore(link, names, settings, streams),
      control,
      async close() {
        await Promise.allSettled([broker.close(), control.close()]);
        await link.close();
      },
    };
  };
}
