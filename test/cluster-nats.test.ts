// Three real `switchboard serve --engine nats` processes: on the shared NATS, the same scenarios as Redis
// (cross-node delivery, presence, user messages, the API anywhere, a node SIGKILLed mid-stream); on a NATS
// of their own: NATS restarted with its store (epochs kept) and without (new epochs), NATS frozen 5 s; on a
// 3-server NATS cluster with R3 streams: the stream leader SIGKILLed mid-stream.
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNats, startNatsCluster, type NatsCluster, type NatsProcess } from '@switchboard/testing/internal';
import { startNodes, type Node } from './helpers/cluster.js';
import { deleteNatsStreams } from '@switchboard/engine-nats';
import {
  brokerFrozen,
  brokerLostMidStream,
  describeThreeNodes,
  nodeKilledMidStream,
} from './helpers/cluster-scenarios.js';

const SHARED_NATS = { nats: ['nats://127.0.0.1:4222'] };

/** Nodes on the shared NATS; their streams are deleted when this file is done. */
const prefixes = new Set<string>();
const onSharedNats = async (count: number) => {
  const nodes = await startNodes(count, SHARED_NATS);
  prefixes.add(nodes[0].prefix);
  return nodes;
};
after(async () => {
  for (const prefix of prefixes) await deleteNatsStreams(SHARED_NATS.nats, prefix);
});

describeThreeNodes('three nodes on one NATS', () => onSharedNats(3));

describe('faults on NATS', { timeout: 180_000 }, () => {
  it('SIGKILL of node B mid-stream: its clients move to A or C and recover with 0 loss and 0 duplicates', () =>
    nodeKilledMidStream('nats', () => onSharedNats(3)));

  describe('on a NATS of its own', () => {
    let nats: NatsProcess;
    before(async () => {
      nats = await startNats();
    });
    after(() => nats.stop());

    it(
      'NATS restarted with its file store mid-stream: ' +
        'the epoch survives, subscribers recover from history, 0 lost',
      () =>
        brokerLostMidStream({
          label: 'NATS killed at seq 500 of 1500, back with its store 1 s later',
          start: () => startNodes(2, { nats: [nats.url] }),
          inject: async () => {
            await nats.kill();
            void sleep(1000).then(() => nats.restart());
          },
          loses: false,
        }),
    );

    it('NATS restarted without its store mid-stream: epochs change, subscribers take the gap path, 0 lost', () =>
      brokerLostMidStream({
        label: 'NATS killed at seq 500 of 1500, back with an empty store 1 s later',
        start: () => startNodes(2, { nats: [nats.url] }),
        inject: async () => {
          await nats.kill();
          void sleep(1000).then(() => nats.restart({ wipe: true }));
        },
        loses: true,
      }));

    it(
      'NATS frozen for 5 s: publishes fail with 503/115, no process crashes, connections stay up, ' +
        'service resumes with nothing lost',
      () => brokerFrozen('nats', () => startNodes(2, { nats: [nats.url] }), nats),
    );
  });

  describe('on a 3-server NATS cluster, streams with 3 replicas', () => {
    let cluster: NatsCluster;
    before(async () => {
      cluster = await startNatsCluster();
    });
    after(() => cluster.stop());

    it('SIGKILL of the stream leader mid-stream: a replica takes over, the epoch survives, 0 lost', async () => {
      let nodes: Node[] = [];
      await brokerLostMidStream({
        label: 'NATS stream leader SIGKILLed at seq 500 of 1500 (3 servers, R3)',
        start: async () => (nodes = await startNodes(3, { nats: cluster.urls, replicas: 3 })),
        inject: async () => {
          const stream = `${nodes[0].prefix}_h_50000_600000`;
          const leader = await streamLeader(cluster, stream);
          console.log(`# killing ${leader.name}, the leader of ${stream}`);
          await leader.kill();
        },
        loses: false,
        perNode: 4,
      });
    });
  });
});

/** The server leading a stream, from a live server's `/jsz`. */
async function streamLeader(cluster: NatsCluster, stream: string): Promise<NatsProcess> {
  for (const server of cluster.servers) {
    const jsz = (await fetch(`http://127.0.0.1:${server.monitorPort}/jsz?streams=true&accounts=true`).then((r) =>
      r.json(),
    )) as {
      account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
    };
    for (const account of jsz.account_details ?? []) {
      const leader = account.stream_detail?.find((s) => s.name === stream)?.cluster?.leader;
      const found = cluster.servers.find((s) => s.name === leader);
      if (found) return found;
    }
  }
  throw new Error(`no leader found for ${stream}`);
}
