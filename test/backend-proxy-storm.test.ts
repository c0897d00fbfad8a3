// A reconnect storm through the connect proxy: 2,000 SDK clients (in a child process) connect, are all dropped at
// once (3011) and come back with a short backoff. Every connect is a request to a real backend HTTP server that takes
// 20 ms; the requests in flight, counted by the backend itself and by the server's proxy client, never exceed the cap.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { startBackend, type Backend } from './helpers/backend.js';
import { ChildLines } from './helpers/sdk-subscriber.js';

const CLIENTS = 2000;
const CAP = 32;
const BACKEND_MS = 20;
const API_KEY = 'proxy-storm-api-key-0123456789';
const STORM_CLIENTS = fileURLToPath(new URL('./fixtures/storm-clients.ts', import.meta.url));

describe('backend proxy under a reconnect storm', () => {
  let backend: Backend | undefined;
  let server: SwitchboardServer | undefined;
  let clients: ChildProcess | undefined;
  after(async () => {
    if (clients && clients.exitCode === null) clients.kill('SIGTERM');
    await server?.close();
    await backend?.close();
  });

  it(`${CLIENTS} reconnecting clients stay under the cap of ${CAP} backend requests in flight`, {
    timeout: 120_000,
  }, async () => {
    backend = await startBackend(async (request) => {
      await sleep(BACKEND_MS);
      return { result: { user: String(request.body.token) } };
    });
    server = createServer({
      apiKey: API_KEY,
      namespaces: {},
      proxy: { connect: { url: `${backend.url}/connect`, timeoutMs: 30_000 }, maxInFlight: CAP },
    });
    const { port } = await server.listen(0);
    const proxy = server.proxy!.client;
    clients = spawn(
      process.execPath,
      [
        '--conditions=@switchboard/source',
        '--import',
        'tsx',
        STORM_CLIENTS,
        `ws://127.0.0.1:${port}/connection/websocket`,
        'storm',
        String(CLIENTS),
        '50',
        '500',
        '4000',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = new ChildLines<{ event: string; ms?: number }>(clients);
    await lines.next((l) => l.event === 'ready', 90_000);
    const first = { backend: backend.peakInFlight, proxy: proxy.peakInFlight, requests: backend.requests.length };

    backend.peakInFlight = 0;
    proxy.resetPeak();
    const requestsBefore = backend.requests.length;
    const back = lines.next((l) => l.event === 'reconnected', 90_000);
    const res = await fetch(`http://127.0.0.1:${port}/api/disconnect`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'storm', code: 3011 }),
    });
    assert.equal(res.status, 200);
    const { ms } = await back;
    const storm = {
      backend: backend.peakInFlight,
      proxy: proxy.peakInFlight,
      requests: backend.requests.length - requestsBefore,
      allBackMs: ms,
    };
    console.log(
      `# proxy storm: cap ${CAP}; first connect: ${first.requests} requests, peak in flight ${first.backend} ` +
        `(backend) / ${first.proxy} (proxy); reconnect storm: ${storm.requests} requests, ` +
        `peak in flight ${storm.backend} (backend) / ${storm.proxy} (proxy), all ${CLIENTS} ` +
        `back in ${storm.allBackMs} ms`,
    );
    for (const peak of [first.backend, first.proxy, storm.backend, storm.proxy])
      assert.ok(peak <= CAP, `peak ${peak} > cap ${CAP}`);
    // The storm really queued at the cap (it was not too gentle to test it).
    assert.equal(storm.proxy, CAP);
    assert.ok(storm.requests >= CLIENTS);
    assert.equal(proxy.inFlight + proxy.queued, 0);
  });
});
