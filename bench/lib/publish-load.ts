// The publish loop behind the engine publish-cost measures (redis-publish-cost.ts, nats-publish-cost.ts).
import type { Engine } from '@switchboard/engine';

export interface PublishLoad {
  publishes: number;
  payload: string;
  channels: number;
  concurrency: number;
}

export const HISTORY = { size: 100, ttlMs: 60_000 };

/**
 * Subscribes the engine's node to `bench:0…` and publishes with history,
 * `concurrency` in flight; `brokerCpu()` (µs, summed over the broker's
 * processes) is read around the loop only.
 */
export async function runPublishLoad(
  engine: Engine,
  load: PublishLoad,
  brokerCpu: () => number,
): Promise<{ channels: string[]; seconds: number; cpuMicros: number }> {
  const channels = Array.from({ length: load.channels }, (_, i) => `bench:${i}`);
  await Promise.all(channels.map((c) => engine.broker.subscribe(c)));
  const cpu0 = brokerCpu();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: load.concurrency }, async () => {
      while (next < load.publishes) {
        const i = next++;
        await engine.broker.publish(channels[i % load.channels], { i, payload: load.payload }, { history: HISTORY });
      }
    }),
  );
  return { channels, seconds: (performance.now() - t0) / 1000, cpuMicros: brokerCpu() - cpu0 };
}
