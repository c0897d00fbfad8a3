// Redis's CPU per publish, for sizing (docs/scaling.md): N publications through the Redis engine's Broker
// (the same Lua script a node runs: offset, XADD trimmed to the history size, PEXPIRE, PUBLISH) on C
// channels, `concurrency` in flight, with one node subscribed to every channel so PUBLISH has a receiver.
// Redis's CPU time is read from /proc before and after; its pid comes from INFO.
//
//   node --conditions=@switchboard/source --import tsx bench/redis-publish-cost.ts [N=50000] [payloadBytes=200]
//
// Uses the Redis on 127.0.0.1:6379, under its own key prefix, and deletes nothing else.
import { Redis } from 'ioredis';
import { redisEngine } from '@switchboard/engine-redis';
import { cpuMicros } from '@switchboard/loadtest';
import { runPublishLoad } from './lib/publish-load.js';

const N = Number(process.argv[2] ?? 50_000);
const PAYLOAD = 'x'.repeat(Number(process.argv[3] ?? 200));
const CHANNELS = 100;
const CONCURRENCY = 64;
const prefix = `bench-cost:${process.pid}:`;
const admin = new Redis('redis://127.0.0.1:6379');
const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
let delivered = 0;
const engine = await redisEngine({ prefix })({
  nodeId: 'bench',
  broker: { onPublication: () => delivered++, onDeliveryUncertain() {} },
  control: { onControl() {} },
});
const {
  channels,
  seconds,
  cpuMicros: redisCpu,
} = await runPublishLoad(engine, { publishes: N, payload: PAYLOAD, channels: CHANNELS, concurrency: CONCURRENCY }, () =>
  cpuMicros(redisPid),
);
while (delivered < N) await new Promise((r) => setTimeout(r, 10));
const memory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
console.log(
  `${N} publishes of ${PAYLOAD.length} B over ${CHANNELS} channels (history 100): ${Math.round(N / seconds)} ` +
    `publishes/s; Redis CPU ${(redisCpu / N).toFixed(1)} ` +
    `µs/publish (${((100 * redisCpu) / (seconds * 1e6)).toFixed(0)} % of a core); ` +
    `used_memory ${(memory / 2 ** 20).toFixed(1)} MiB`,
);
for (const c of channels) await admin.del(`${prefix}{${c}}.meta`, `${prefix}{${c}}.stream`);
await engine.close();
admin.disconnect();
