import type { SwitchboardServer } from '@switchboard/server';
import { isMessage, type ToPrimary, type ToWorker } from './worker-ipc.js';

/** How long a worker waits for the primary's aggregate before answering `/metrics` with its own registry. */
const METRICS_WAIT_MS = 3000;

/**
 * Ties a `serve --workers` worker to its primary: `/metrics` answers for every
 * worker (the primary aggregates), a drain that begins here is reported so the
 * whole box drains, a drain the primary relays is run, and the worker exits at
 * once when the primary is gone (it cannot be told to stop any more).
 */
export function linkWorker(server: SwitchboardServer): void {
  const send = (m: ToPrimary) => process.send?.(m);
  const registry = server.metrics.registry;
  const pending = new Map<number, (text: string | null) => void>();
  let nextId = 0;
  server.setMetricsSource({
    contentType: registry.contentType,
    metrics: async () => {
      const id = nextId++;
      const text = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => (pending.delete(id), resolve(null)), METRICS_WAIT_MS);
        pending.set(id, (t) => (clearTimeout(timer), resolve(t)));
        send({ sb: 'metrics', id });
      });
      // Never reject: without the aggregate (the primary busy or gone), this worker's own figures.
      return text ?? registry.metrics();
    },
  });
  server.onDrain((plan) => send({ sb: 'drain', plan }));
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.sb === 'metrics') {
      pending.get(m.id)?.(m.text);
      pending.delete(m.id);
    } else if (m.sb === 'metrics-json') {
      void registry.getMetricsAsJSON().then((metrics) => send({ sb: 'metrics-json', id: m.id, metrics }));
    } else if (m.sb === 'drain') {
      void server.drain(m.plan);
    }
  });
  process.on('disconnect', () => process.exit(1));
}
