// Property: no message lost across random disconnects. A backend publishes a numbered stream to the real
// `switchboard serve` process; SDK subscribers sit behind a TCP proxy that cuts their connections at random
// moments (fast-check schedules), and once the server process is SIGKILLed and restarted (a new epoch, which
// forces the snapshot path). Every subscriber must end with 1…N, in order, each number once: through a
// publication or through its snapshot.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Client, type Snapshot } from '@switchboard/client';
import { freePort, startTcpProxy, type TcpProxy } from '@switchboard/testing/internal';
import { WebSocket } from '@switchboard/websocket';
import type { StreamPosition } from '@switchboard/wire';
import { startServe, stopChild } from './helpers/process.js';
import { until } from './helpers/wait.js';

const API_KEY = 'property-test-key-0123456789';
const SUBSCRIBERS = 6;
const RUNS = 18;
const RESTART_RUN = 2;

/** One subscriber as the app sees it: snapshots replace its state, publications append to it. */
interface Subscriber {
  client: Client;
  items: number[];
  duplicates: number;
  disconnects: number;
  snapshots: number;
}

describe('no message lost across random disconnects (fast-check)', { timeout: 240_000 }, () => {
  let serverPort: number;
  let serve: ChildProcess;
  let proxy: TcpProxy;
  const dir = mkdtempSync(join(tmpdir(), 'sb-prop-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ allowAnonymous: true, namespaces: { stream: { history: { size: 10, ttlMs: 600_000 } } } }),
  );

  const startServer = async () => {
    serve = (await startServe(['--port', String(serverPort), '--api-key', API_KEY, '--config', config])).child;
  };
  const api = async (method: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${serverPort}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}` },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${method}: ${res.status}`);
    return res.json() as Promise<StreamPosition>;
  };

  before(async () => {
    serverPort = await freePort();
    await startServer();
    proxy = await startTcpProxy(serverPort);
  });
  after(async () => {
    await proxy?.close();
    await stopChild(serve);
  });

  it(
    'every subscriber ends with 1…N in order, no duplicate, ' + 'over ≥ 1,000 disconnects and one server restart',
    async () => {
      const totals = {
        runs: 0,
        disconnects: 0,
        published: 0,
        delivered: 0,
        duplicates: 0,
        lost: 0,
        snapshots: 0,
        restarts: 0,
      };
      const started = Date.now();
      const cut = fc.record({ waitMs: fc.integer({ min: 0, max: 40 }), all: fc.boolean() });

      await fc.assert(
        fc.asyncProperty(fc.array(cut, { minLength: 30, maxLength: 40 }), async (cuts) => {
          const run = totals.runs++;
          const channel = `stream:run-${run}-${Date.now()}`;
          // The backend: publishes in order, and answers snapshots with what was acked and where.
          const state: number[] = [];
          let position: StreamPosition | undefined;
          let paused: Promise<void> | undefined;
          let stop = false;
          const getSnapshot = async (): Promise<Snapshot> => {
            await sleep(Math.random() * 5); // an HTTP round trip to the app's backend
            return { position: position!, data: [...state] };
          };
          const publish = async () => {
            for (let n = 1; !stop; n++) {
              for (;;) {
                await paused;
                try {
                  position = await api('publish', { channel, data: n });
                  break;
                } catch {
                  await sleep(20); // the server is restarting
                }
              }
              state.push(n);
              await sleep(1);
            }
          };

          const url = `ws://127.0.0.1:${proxy.port}/connection/websocket`;
          const subs: Subscriber[] = Array.from({ length: SUBSCRIBERS }, () => {
            const client = new Client(url, { WebSocket: WebSocket, backoff: { baseMs: 5, capMs: 60 }, network: null });
            const s: Subscriber = { client, items: [], duplicates: 0, disconnects: 0, snapshots: 0 };
            const sub = client.subscribe(channel, { getSnapshot });
            sub.on('snapshot', (e) => {
              s.snapshots++;
              s.items.splice(0, s.items.length, ...(e.data as number[]));
            });
            sub.on('publication', (p) => {
              if ((p.data as number) <= s.items.length) s.duplicates++;
              else s.items.push(p.data as number);
            });
            client.on('disconnected', () => s.disconnects++);
            client.connect();
            return s;
          });
          await until(
            () => subs.every((s) => s.client.getSubscription(channel)?.state === 'subscribed'),
            'all subscribed',
            10_000,
          );
          // Subscribers are in from offset 0: every number must reach them.
          const publisher = publish();

          for (const [i, c] of cuts.entries()) {
            await sleep(c.waitMs);
            // Each cut hits someone: on a slow machine clients may still be on their way back.
            await until(() => proxy.connections > 0, 'a connection to cut', 5000);
            if (c.all) proxy.cutAll();
            else proxy.cutOne();
            if (run === RESTART_RUN && i === Math.floor(cuts.length / 2)) {
              // Publisher quiet (so no publication is half-acked), then SIGKILL: the memory engine, its epochs and
              // history are gone.
              let resume!: () => void;
              paused = new Promise((r) => (resume = r));
              await sleep(30);
              serve.kill('SIGKILL');
              await once(serve, 'exit');
              await startServer();
              totals.restarts++;
              resume();
              paused = undefined;
            }
          }
          stop = true;
          await publisher;
          const n = state.length;
          await until(() => subs.every((s) => s.items.length >= n), `every subscriber reaches ${n}`, 20_000).catch(
            (error: Error) => {
              const where = subs.map(
                (s) =>
                  `${s.items.length} ${s.client.state}/${s.client.getSubscription(channel)?.state}` +
                  ` ${JSON.stringify(s.client.getSubscription(channel)?.position)}`,
              );
              throw new Error(`${error.message}: ${where.join('; ')}`);
            },
          );
          for (const s of subs) s.client.disconnect();

          for (const s of subs) {
            totals.disconnects += s.disconnects;
            totals.duplicates += s.duplicates;
            totals.snapshots += s.snapshots;
            totals.delivered += s.items.length;
            const expected = Array.from({ length: n }, (_, i) => i + 1);
            totals.lost += expected.filter((x, i) => s.items[i] !== x).length;
            assert.deepEqual(s.items, expected, 'in order, complete');
            assert.equal(s.duplicates, 0, 'no publication delivered twice');
          }
          totals.published += n;
        }),
        { numRuns: RUNS, endOnFailure: true },
      );

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `# ${totals.runs} runs × ${SUBSCRIBERS} subscribers in ${seconds} s: ${totals.disconnects} ` +
          `disconnects, ${totals.restarts} server restart (new epoch), ${totals.published} ` +
          `published, ${totals.delivered} delivered to apps, ${totals.snapshots} snapshots, ${totals.lost} ` +
          `lost, ${totals.duplicates} duplicates`,
      );
      assert.ok(totals.disconnects >= 1000, `only ${totals.disconnects} disconnects`);
      assert.equal(totals.restarts, 1);
    },
  );
});
