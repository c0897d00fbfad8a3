// The Redis engine runs the same contract suites as the memory engine: on the
// shared Redis (127.0.0.1:6379), then sharded over two more Redis processes.
import {
  describeBrokerContract,
  describeControlBusContract,
  describeEventLogContract,
  describePresenceContract,
} from '@switchboard/engine/contract';
import type { Engine, EngineNode } from '@switchboard/engine';
import { startRedis, type RedisProcess } from '@switchboard/testing/internal';
import { redisEngine, type RedisEngineOptions as EngineOptions } from '../src/index.js';

const noop: Omit<EngineNode, 'nodeId'> = {
  broker: { onPublication() {}, onDeliveryUncertain() {} },
  control: { onControl() {} },
};

/** Engines made on one backend (a unique key prefix per fixture), all closed with the fixture. */
function backend(urls: () => string[], events?: EngineOptions['events']) {
  const prefix = `contract:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2, 8)}:`;
  const engines: Engine[] = [];
  let n = 0;
  return {
    async engine(node: Partial<EngineNode>): Promise<Engine> {
      const engine = await redisEngine({ urls: urls(), prefix, events })({ ...noop, nodeId: `node-${n++}`, ...node });
      engines.push(engine);
      return engine;
    },
    close: async () => {
      await Promise.all(engines.map((e) => e.close()));
    },
  };
}

for (const [name, shards] of [
  ['redis', 0],
  ['redis, 2 shards', 2],
] as const) {
  let urls: string[] = ['redis://127.0.0.1:6379'];
  const extra: RedisProcess[] = [];
  const setUp = async () => {
    if (shards > 0 && extra.length === 0) {
      for (let i = 0; i < shards; i++) extra.push(await startRedis());
      urls = extra.map((r) => r.url);
    }
  };
  let open = 0;
  const tearDown = async () => {
    if (--open === 0) await Promise.all(extra.splice(0).map((r) => r.stop()));
  };
  const fixture =
    <F>(make: (b: ReturnType<typeof backend>) => F) =>
    async () => {
      open++;
      await setUp();
      const b = backend(() => urls);
      return { ...make(b), close: async () => (await b.close(), await tearDown()) };
    };

  describeBrokerContract(
    name,
    fixture((b) => ({ node: async (broker) => (await b.engine({ broker })).broker })),
  );
  describePresenceContract(
    name,
    fixture((b) => ({ store: async () => (await b.engine({})).presence })),
  );
  describeControlBusContract(
    name,
    fixture((b) => ({ node: async (nodeId, control) => (await b.engine({ nodeId, control })).control })),
  );
}

// One prefix per set of bounds: nodes made with the same bounds share one log.
describeEventLogContract('redis', async () => {
  const backends = new Map<string, ReturnType<typeof backend>>();
  return {
    node: async (options) => {
      const key = JSON.stringify(options);
      const b =
        backends.get(key) ??
        backends
          .set(
            key,
            backend(() => ['redis://127.0.0.1:6379'], options),
          )
          .get(key)!;
      const engine = await b.engine({});
      return { events: engine.events!, occupancy: engine.occupancy! };
    },
    close: async () => {
      await Promise.all([...backends.values()].map((b) => b.close()));
    },
  };
});
