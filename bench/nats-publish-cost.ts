// NATS's CPU per publish with history, for sizing (docs/scaling.md): N publications through the NATS
// engine's Broker (an append with the expected subject sequence and an offset message id to the shared
// history stream, fanned out by RePublish) on C channels, `concurrency` in flight, one node subscribed to
// every channel so each RePublish has a receiver. Runs on a nats-server of its own (file storage, R1),
// then on a 3-server cluster (R3); nats-server CPU (all servers) is read from /proc before and after.
//
//   node --import tsx bench/nats-publish-cost.ts [N=20000] [payloadBytes=200]
import { natsEngine } from '@switchboard/engine-nats';
import { cpuMicros } from '@switchboard/loadtest';
import { startNats, startNatsCluster } from '@switchboard/testing/internal';
import { HISTORY, runPublishLoad } from './lib/publish-load.js';

const N = Number(process.argv[2] ?? 20_000);
const PAYLOAD = 'x'.repeat(Number(process.argv[3] ?? 200));
const CHANNELS = 100;
const CONCURRENCY = 64;

async function measure(label: string, servers: string[], pids: number[], replicas: number): Promise<void> {
  let delivered = 0;
  const engine = await natsEngine({ servers, replicas, prefix: `cost${process.pid}` })({
    nodeId: 'bench',
    broker: { onPublication: () => delivered++, onDeliveryUncertain() {} },
    control: { onControl() {} },
  });
  // The first publish creates the history stream: not part of the measure.
  await engine.broker.publish('bench:0', 'warm-up', { history: HISTORY });
  const cpu = () => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const { seconds, cpuMicros: natsCpu } = await runPublishLoad(
    engine,
    { publishes: N, payload: PAYLOAD, channels: CHANNELS, concurrency: CONCURRENCY },
    cpu,
  );
  for (let i = 0; i < 500 && delivered < N; i++) await new Promise((r) => setTimeout(r, 10));
  const { publishes, conflicts } = (engine.broker as unknown as { counters: { publishes: number; conflicts: number } })
    .counters;
  console.log(
    `${label}: ${N} publishes of ${PAYLOAD.length} B over ${CHANNELS} channels (history 100), ${CONCURRENCY} ` +
      `in flight: ${Math.round(N / seconds)} publishes/s; nats-server CPU ${(natsCpu / N).toFixed(1)} ` +
      `µs/publish (${((100 * natsCpu) / (seconds * 1e6)).toFixed(0)} % of a core, all servers); ` +
      `retries ${conflicts}/${publishes}; delivered ${delivered}/${N}`,
  );
  await engine.close();
}

const single = await startNats();
try {
  await measure('nats-server 1 (file, R1)', [single.url], [single.pid!], 1);
} finally {
  await single.stop();
}
const cluster = await startNatsCluster();
try {
  await measure(
    'nats-server cluster of 3 (file, R3)',
    cluster.urls,
    cluster.servers.map((s) => s.pid!),
    3,
  );
} finally {
  await cluster.stop();
}
