// Scenario W: lifecycle events delivered to a webhook. Clients connect, subscribe to one of 50
// channels and disconnect in a loop against one real-time server process (memory engine) whose
// webhook points at a receiver in this process; every event is timed from its `time` to its arrival.
// Reports events/s delivered (batched), event → receiver latency p50/p99, and server CPU per event.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMicros, percentile } from '@switchboard/loadtest';
import { TestClient } from '@switchboard/testing';

export const BENCH_WEBHOOK_SECRET =
  `whsec` + `_${Buffer.from(createHash('sha256').update('bench').digest()).toString('base64')}`;

/** A receiver that answers 204 at once: `latencies` (ms, event → arrival) and counts. */
export async function startSink(): Promise<{
  url: string;
  events: number;
  requests: number;
  latencies: number[];
  close(): void;
}> {
  const sink = { url: '', events: 0, requests: 0, latencies: [] as number[], close: () => server.close() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const { events } = JSON.parse(Buffer.concat(chunks).toString()) as { events: { time: number }[] };
      sink.requests++;
      sink.events += events.length;
      for (const e of events) sink.latencies.push(now - e.time);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return sink;
}

export async function runScenarioW(seconds: number, concurrency = 20): Promise<{ row: string; figures: string }> {
  const sink = await startSink();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('servers/switchboard-server.ts', import.meta.url))],
    {
      env: { ...process.env, WEBHOOK_URL: sink.url, WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on(
        'line',
        (line) => line.startsWith('READY ') && resolve(Number(line.slice(6))),
      );
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const url = `ws://127.0.0.1:${port}/connection/websocket`;
    const cpu0 = cpuMicros(child.pid!);
    const t0 = Date.now();
    let cycles = 0;
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, k) => {
        for (let i = k; Date.now() < end; i += concurrency) {
          const c = await TestClient.open(url);
          await c.connect({});
          await c.command('subscribe', { channel: `bench:w${i % 50}` });
          await c.close();
          cycles++;
        }
      }),
    );
    // Each cycle makes connect, subscribe, unsubscribe, disconnect, and on a quiet channel occupied and vacated.
    const expected = (e: number) => e >= cycles * 4;
    for (const stop = Date.now() + 15_000; !expected(sink.events) && Date.now() < stop; )
      await new Promise((r) => setTimeout(r, 50));
    const wall = (Date.now() - t0) / 1000;
    const cpu = cpuMicros(child.pid!) - cpu0;
    const p50 = percentile(sink.latencies, 50);
    const p99 = percentile(sink.latencies, 99);
    const perSecond = sink.events / wall;
    const figures =
      `W: ${cycles} connect/subscribe/disconnect cycles in ${seconds} s (${concurrency} at once) ` +
      `→ ${sink.events} events in ${sink.requests} requests (${(sink.events / sink.requests).toFixed(1)} ` +
      `per request), ${perSecond.toFixed(0)} events/s delivered, latency p50 ${p50.toFixed(0)} ms, ` +
      `p99 ${p99.toFixed(0)} ms, server CPU ${(cpu / sink.events).toFixed(0)} µs/event (sessions included)`;
    const row =
      `| W webhooks: lifecycle events to one receiver, ${concurrency} clients cycling | ` +
      `switchboard-server | ${perSecond.toFixed(0)} | events/s delivered | – | ${(cpu / sink.events).toFixed(1)} | ` +
      `– | ${(sink.events / sink.requests).toFixed(1)} events/request; latency p50 ${p50.toFixed(0)} ms, ` +
      `p99 ${p99.toFixed(0)} ms; CPU includes the sessions' own connect/subscribe work |`;
    return { row, figures };
  } finally {
    child.kill('SIGTERM');
    sink.close();
  }
}
