// A model-based property test of cluster-wide occupancy and membership: random subscribes,
// unsubscribes (each a presence join/leave too) and node deaths over 3 nodes sharing one memory
// engine (`MemoryCluster`), then one Redis (each node its own engine on a prefix of the run's). After every step, the
// occupancy and membership that the stored events describe equal the truth, and the events never contradict it (no
// vacated while a subscriber exists, never two occupied in a row, never a member added twice).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { EventLog, OccupancyStore } from '@switchboard/engine';
import { MemoryCluster, MemoryEventLog, MemoryOccupancyStore } from '@switchboard/engine-memory';
import { deleteNatsStreams, natsEngine } from '@switchboard/engine-nats';
import { redisEngine } from '@switchboard/engine-redis';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEvent } from '@switchboard/server';
import { LifecycleEmitter, NodeReaper } from '@switchboard/server/internal';

const RUNS = Number(process.env.SWITCHBOARD_TEST_PROPERTY_RUNS ?? 1000);
const REDIS_RUNS = Number(process.env.SWITCHBOARD_TEST_PROPERTY_REDIS_RUNS ?? 100);
const NATS_RUNS = Number(process.env.SWITCHBOARD_TEST_PROPERTY_NATS_RUNS ?? 50);

/** One backend for a run: every node's log and store on it, and a way to make a node's mark lapse. */
interface Backend {
  node(id: string): Promise<{ log: EventLog; occupancy: OccupancyStore }>;
  lapse(id: string): Promise<void>;
  close(): Promise<void>;
}

const memoryBackend = async (): Promise<Backend> => {
  const cluster = new MemoryCluster({ events: { partitions: 4 } });
  return {
    node: async () => ({
      log: new MemoryEventLog(cluster.events),
      occupancy: new MemoryOccupancyStore(cluster.occupancy),
    }),
    lapse: async (id) => void cluster.occupancy.aliveUntil.set(id, 0),
    close: async () => {},
  };
};

let runId = 0;
const quiet = { info() {}, warn() {}, error() {} };
const redisBackend = async (): Promise<Backend> => {
  const prefix = `prop:${process.pid}:${Date.now()}:${runId++}:`;
  const redis = new Redis('redis://127.0.0.1:6379');
  const engines: { close(): Promise<void> }[] = [];
  const noop = { broker: { onPublication() {}, onDeliveryUncertain() {} }, control: { onControl() {} } };
  return {
    async node(id) {
      const engine = await redisEngine({ prefix, events: { partitions: 4 } })({ nodeId: id, ...noop });
      engines.push(engine);
      return { log: engine.events!, occupancy: engine.occupancy! };
    },
    lapse: async (id) => void (await redis.zadd(`${prefix}nodes`, 0, id)),
    async close() {
      await Promise.all(engines.map((e) => e.close()));
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
};
const CHANNELS = ['room:a', 'room:b', 'room:c'];
const USERS = ['ann', 'bo', 'cy'];

type Op =
  | { kind: 'subscribe' | 'unsubscribe'; node: number; user: number; tab: number; channel: number }
  | { kind: 'kill'; node: number; sweepers: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('subscribe' as const, 'unsubscribe' as const),
      node: fc.nat(2),
      user: fc.nat(2),
      tab: fc.nat(1),
      channel: fc.nat(2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('kill' as const),
      node: fc.nat(2),
      sweepers: fc.integer({ min: 1, max: 2 }),
    }),
  },
);

/**
 * One node of the model: its emitter, and its live subscriptions (client → channels), counted locally as the hub does.
 */
interface ModelNode {
  id: string;
  emitter: LifecycleEmitter;
  reaper: NodeReaper;
  subs: Map<string, Set<string>>;
  local: Map<string, number>;
}

const natsBackend = async (): Promise<Backend> => {
  const prefix = `prop${process.pid}_${Date.now().toString(36)}_${runId++}`;
  const servers = ['nats://127.0.0.1:4222'];
  const engines: { close(): Promise<void> }[] = [];
  const stores = new Map<string, OccupancyStore>();
  const noop = { broker: { onPublication() {}, onDeliveryUncertain() {} }, control: { onControl() {} } };
  return {
    async node(id) {
      const engine = await natsEngine({ servers, prefix, storage: 'memory', events: { partitions: 4 } })({
        nodeId: id,
        ...noop,
      });
      engines.push(engine);
      stores.set(id, engine.occupancy!);
      return { log: engine.events!, occupancy: engine.occupancy! };
    },
    // A mark in the past, as a node that stopped renewing it leaves.
    lapse: (id) => stores.get(id)!.alive(id, -1),
    async close() {
      await Promise.all(engines.map((e) => e.close()));
      await deleteNatsStreams(servers, prefix).catch(() => {});
    },
  };
};

for (const [name, backend, runs] of [
  ['memory', memoryBackend, RUNS],
  ['redis', redisBackend, REDIS_RUNS],
  ['nats', natsBackend, NATS_RUNS],
] as const) {
  let counterexamples = 0;
  it(`${name}: occupancy and membership from the events match the truth after every step (${runs} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const b = await backend();
        const { log } = await b.node('reader');
        let generation = 0;
        const makeNode = async (slot: number): Promise<ModelNode> => {
          const id = `n${slot}.${generation++}`;
          const { occupancy } = await b.node(id);
          const emitter = new LifecycleEmitter(id, log, occupancy, new Set(LIFECYCLE_EVENT_TYPES), {
            stored() {},
            failed: (_t, e) => assert.fail(String(e)),
          });
          const reaper = new NodeReaper(id, occupancy, emitter, 60_000, 60_000, quiet);
          await occupancy.alive(id, 60_000);
          return { id, emitter, reaper, subs: new Map(), local: new Map() };
        };
        const nodes = await Promise.all([0, 1, 2].map(makeNode));
        for (const step of ops) {
          if (step.kind === 'kill') {
            const dead = nodes[step.node];
            await b.lapse(dead.id); // its mark lapses: the node died
            const survivors = nodes.filter((n) => n !== dead).slice(0, step.sweepers);
            await Promise.all(survivors.map((n) => n.reaper.sweep()));
            nodes[step.node] = await makeNode(step.node); // a new node takes its place
          } else {
            const node = nodes[step.node];
            const client = `${node.id}/${USERS[step.user]}/${step.tab}`;
            const channel = CHANNELS[step.channel];
            const record = { client, user: USERS[step.user] };
            const subs = node.subs.get(client) ?? node.subs.set(client, new Set()).get(client)!;
            if (step.kind === 'subscribe' && !subs.has(channel)) {
              subs.add(channel);
              const n = (node.local.get(channel) ?? 0) + 1;
              node.local.set(channel, n);
              if (n === 1) node.emitter.channelEntered(channel);
              node.emitter.subscribed(record, channel);
              node.emitter.memberJoined(channel, record.user);
            } else if (step.kind === 'unsubscribe' && subs.has(channel)) {
              subs.delete(channel);
              node.emitter.unsubscribed(record, channel, 'client');
              node.emitter.memberLeft(channel, record.user);
              const n = node.local.get(channel)! - 1;
              node.local.set(channel, n);
              if (n === 0) node.emitter.channelExited(channel);
            }
            await node.emitter.flush();
          }
          try {
            check(await described(log), nodes);
          } catch (error) {
            counterexamples++;
            await b.close();
            throw error;
          }
        }
        await b.close();
      }),
      { numRuns: runs },
    );
    console.log(
      `# occupancy property (${name}): ${runs} runs of up to 60 steps over 3 nodes, ${counterexamples} ` +
        `failing steps on the way`,
    );
  });
}

/** Replays the stored events, checking that each transition is possible: what they describe. */
async function described(log: EventLog): Promise<{ occupied: Set<string>; members: Map<string, Set<string>> }> {
  const occupied = new Set<string>();
  const members = new Map<string, Set<string>>();
  for (let p = 0; p < log.partitions; p++) {
    for (const { event } of await log.read(p, undefined, 100_000)) {
      const e = event as unknown as LifecycleEvent;
      if (e.type === 'channel_occupied') {
        assert.ok(!occupied.has(e.channel), `two channel_occupied in a row for ${e.channel}`);
        occupied.add(e.channel);
      } else if (e.type === 'channel_vacated') {
        assert.ok(occupied.has(e.channel), `channel_vacated of ${e.channel}, not occupied`);
        occupied.delete(e.channel);
      } else if (e.type === 'member_added') {
        const set = members.get(e.channel) ?? members.set(e.channel, new Set()).get(e.channel)!;
        assert.ok(!set.has(e.user), `member_added twice: ${e.user} in ${e.channel}`);
        set.add(e.user);
      } else if (e.type === 'member_removed') {
        assert.ok(members.get(e.channel)?.delete(e.user), `member_removed of ${e.user}, not a member of ${e.channel}`);
      }
    }
  }
  return { occupied, members };
}

function check(seen: { occupied: Set<string>; members: Map<string, Set<string>> }, nodes: ModelNode[]): void {
  const occupied = new Set<string>();
  const members = new Map<string, Set<string>>();
  for (const node of nodes) {
    for (const [client, channels] of node.subs) {
      const user = client.split('/')[1];
      for (const channel of channels) {
        occupied.add(channel);
        (members.get(channel) ?? members.set(channel, new Set()).get(channel)!).add(user);
      }
    }
  }
  assert.deepEqual([...seen.occupied].sort(), [...occupied].sort(), 'occupied channels');
  for (const channel of CHANNELS)
    assert.deepEqual(
      [...(seen.members.get(channel) ?? [])].sort(),
      [...(members.get(channel) ?? [])].sort(),
      `members of ${channel}`,
    );
}
