// Engines made on one NATS (a unique prefix per backend), all closed with it; the
// backend then deletes the streams and buckets it made.
import type { Engine, EngineNode } from '@switchboard/engine';
import { deleteNatsStreams, natsEngine, type NatsEngineOptions } from '../src/index.js';

const noop: Omit<EngineNode, 'nodeId'> = {
  broker: { onPublication() {}, onDeliveryUncertain() {} },
  control: { onControl() {} },
};

export async function natsBackend(servers: () => string[], options: NatsEngineOptions = {}) {
  const prefix = `t${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const engines: Engine[] = [];
  let n = 0;
  return {
    prefix,
    async engine(node: Partial<EngineNode>, extra: NatsEngineOptions = {}): Promise<Engine> {
      const engine = await natsEngine({ servers: servers(), prefix, ...options, ...extra })({
        ...noop,
        nodeId: `node-${n++}`,
        ...node,
      });
      engines.push(engine);
      return engine;
    },
    close: async () => {
      await Promise.all(engines.map((e) => e.close()));
      await deleteNatsStreams(servers(), prefix).catch(() => {});
    },
  };
}
