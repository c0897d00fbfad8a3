import type { Engine } from '@switchboard/engine';
import type { Registry } from 'prom-client';
import { LifecycleEmitter } from './events/lifecycle-emitter.js';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEventType } from './events/lifecycle-event.js';
import { NodeReaper } from './events/node-reaper.js';
import type { Logger } from './logger.js';
import type { ResolvedServerOptions } from './server-options.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookMetrics } from './webhooks/webhook-metrics.js';

/** Lifecycle events and webhooks on one node: present when `webhooks` or `hooks.onEvent` are set. */
export interface LifecycleNode {
  readonly emitter: LifecycleEmitter;
  readonly dispatcher: WebhookDispatcher;
  /** After this node's sessions are closed: their events stored, deliveries stopped (leases released). */
  stop(): Promise<void>;
}

/** The engine cannot store lifecycle events (it has no EventLog), and webhooks or `hooks.onEvent` were asked for. */
export class EventsUnsupportedError extends Error {
  override name = 'EventsUnsupportedError';
  readonly code = 'SB_ERR_EVENTS_UNSUPPORTED';
  constructor(engine: string) {
    super(
      `Switchboard server: webhooks and hooks.onEvent need an engine with an event log; the ${engine} engine has none`,
    );
  }
}

/**
 * Builds and starts the emitter, the dead-node reaper and the webhook dispatcher, or nothing when no one wants events.
 */
export async function startLifecycle(
  o: ResolvedServerOptions,
  engine: Engine,
  nodeId: string,
  registry: Registry,
  log: Logger,
): Promise<LifecycleNode | undefined> {
  const onEvent = o.hooks.onEvent;
  if (o.webhooks.length === 0 && !onEvent) return undefined;
  if (!engine.events || !engine.occupancy) throw new EventsUnsupportedError(engine.name);
  const wanted = new Set<LifecycleEventType>(
    onEvent ? LIFECYCLE_EVENT_TYPES : o.webhooks.flatMap((h) => [...h.events]),
  );
  let dispatcher: WebhookDispatcher | undefined;
  const metrics = new WebhookMetrics(registry, () => dispatcher?.deadLetterCounts() ?? Promise.resolve(new Map()));
  dispatcher = new WebhookDispatcher(o.webhooks, engine.events, nodeId, o.lifecycle, metrics, log);
  const d = dispatcher;
  const emitter = new LifecycleEmitter(nodeId, engine.events, engine.occupancy, wanted, {
    stored(event) {
      metrics.emitted.inc({ type: event.type });
      d.stored(event);
      try {
        onEvent?.(event);
      } catch (error) {
        log.warn({ err: error, type: event.type }, 'hooks.onEvent threw');
      }
    },
    failed(type, error) {
      metrics.appendFailures.inc({ type });
      log.warn({ err: error, type }, 'lifecycle event not stored');
    },
  });
  const reaper = new NodeReaper(
    nodeId,
    engine.occupancy,
    emitter,
    o.lifecycle.nodeTtlMs,
    o.lifecycle.sweepIntervalMs,
    log,
  );
  await reaper.start();
  d.start();
  return {
    emitter,
    dispatcher: d,
    async stop() {
      await emitter.flush();
      await reaper.stop();
      await d.stop();
    },
  };
}
