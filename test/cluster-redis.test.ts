// Three real `switchboard serve --engine redis` processes sharing one Redis: cross-node delivery, presence,
// user messages and the API anywhere; then faults: a node SIGKILLed mid-stream, Redis restarted, Redis frozen.
// The scenarios are shared with the NATS engine (helpers/cluster-scenarios.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisProcess } from '@switchboard/testing/internal';
import { Redis } from 'ioredis';
import { api, startNodes } from './helpers/cluster.js';
import {
  brokerFrozen,
  brokerLostMidStream,
  describeThreeNodes,
  nodeKilledMidStream,
} from './helpers/cluster-scenarios.js';
import { until } from './helpers/wait.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379';

describeThreeNodes(
  'three nodes on one Redis',
  () => startNodes(3, SHARED_REDIS),
  (nodes, open) => {
    it(
      'finds a publication whose broadcast was lost, ' + 'with nothing after it, by the periodic position check',
      async () => {
        const [a] = nodes();
        const got: number[] = [];
        const sub = open(a).subscribe('feed:tail');
        sub.on('publication', (e) => got.push((e.data as { i: number }).i));
        await new Promise((resolve) => sub.on('state', (e) => e.state === 'subscribed' && resolve(null)));
        await api(a, 'publish', { channel: 'feed:tail', data: { i: 1 } });
        await until(() => got.length === 1, 'the first publication');
        // What a lost PUBLISH leaves behind: offset 2 in the stream, never broadcast.
        const redis = new Redis(SHARED_REDIS);
        const meta = `${a.prefix}{feed:tail}.meta`;
        await redis.hincrby(meta, 'o', 1);
        await redis.xadd(`${a.prefix}{feed:tail}.stream`, '2-0', 'b', JSON.stringify({ d: { i: 2 } }));
        redis.disconnect();
        const started = Date.now();
        await until(() => got.length === 2, 'the lost publication, recovered from history', 6000);
        console.log(
          `# lost broadcast of offset 2 found and recovered after ${Date.now() - started} ms (position check every ` +
            `2000 ms + 1000 ms grace)`,
        );
        assert.deepEqual(got, [1, 2]);
      },
    );
  },
);

describe('faults', { timeout: 120_000 }, () => {
  it('SIGKILL of node B mid-stream: its clients move to A or C and recover with 0 loss and 0 duplicates', () =>
    nodeKilledMidStream('redis', () => startNodes(3, SHARED_REDIS)));

  describe('on a Redis of its own', () => {
    let redis: RedisProcess;
    before(async () => {
      redis = await startRedis();
    });
    after(() => redis.stop());

    it(
      'Redis restarted empty mid-stream: epochs change, ' + 'subscribers take the gap path and end with complete state',
      () =>
        brokerLostMidStream({
          label: 'Redis killed at seq 500 of 1500, back empty 1 s later',
          start: () => startNodes(2, redis.url),
          inject: async () => {
            await redis.kill();
            void sleep(1000).then(() => redis.restart());
          },
          loses: true,
        }),
    );

    it(
      'Redis frozen for 5 s: publishes fail with 503/115, no process crashes, connections stay up, ' +
        'service resumes with nothing lost',
      () => brokerFrozen('redis', () => startNodes(2, redis.url), redis),
    );
  });
});
