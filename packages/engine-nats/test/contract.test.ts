// The NATS engine runs the same contract suites as memory and Redis: on the shared
// nats-server (127.0.0.1:4222, JetStream on), then on a 3-server cluster this file
// starts, with every stream and bucket replicated 3 times. Each fixture has its
// own prefix and deletes its streams and buckets when it closes.
import {
  describeBrokerContract,
  describeControlBusContract,
  describeEventLogContract,
  describePresenceContract,
} from '@switchboard/engine/contract';
import { startNatsCluster, type NatsCluster } from '@switchboard/testing/internal';
import { natsBackend } from './nats-backend.js';

/**
 * R3 on a cluster just formed: JetStream's first answers (the engine's start-up probe, the first stream) can take
 * seconds on a loaded machine, so the cluster's engines wait longer than the 2 s default before calling it down.
 */
const CLUSTER_OPTIONS = { replicas: 3, commandTimeoutMs: 10_000 } as const;

for (const [name, clustered] of [
  ['nats', false],
  ['nats, 3-server cluster, R3', true],
] as const) {
  let cluster: NatsCluster | undefined;
  let open = 0;
  const servers = () => (cluster ? cluster.urls : [process.env.SWITCHBOARD_TEST_NATS_URL ?? 'nats://127.0.0.1:4222']);
  const fixture =
    <F>(make: (b: Awaited<ReturnType<typeof natsBackend>>) => F) =>
    async () => {
      open++;
      if (clustered && !cluster) cluster = await startNatsCluster();
      const b = await natsBackend(servers, clustered ? CLUSTER_OPTIONS : {});
      return {
        ...make(b),
        close: async () => {
          await b.close();
          if (--open === 0 && cluster) await cluster.stop().then(() => (cluster = undefined));
        },
      };
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
  // One backend per set of bounds: nodes made with the same bounds share one log.
  describeEventLogContract(name, async () => {
    open++;
    if (clustered && !cluster) cluster = await startNatsCluster();
    const backends = new Map<string, Awaited<ReturnType<typeof natsBackend>>>();
    return {
      node: async (events) => {
        const key = JSON.stringify(events);
        const b =
          backends.get(key) ??
          backends.set(key, await natsBackend(servers, { ...(clustered ? CLUSTER_OPTIONS : {}), events })).get(key)!;
        const engine = await b.engine({});
        return { events: engine.events!, occupancy: engine.occupancy! };
      },
      close: async () => {
        await Promise.all([...backends.values()].map((b) => b.close()));
        if (--open === 0 && cluster) await cluster.stop().then(() => (cluster = undefined));
      },
    };
  });
}
