// Reconnect storms: 5,000 connections dropped at once (the API's disconnect for their user) come back, without and with
// protection (full-jitter backoff in the SDK + the server's accept-rate token bucket). The peak handshake rate is
// read off the server's own /metrics. Also: 503 + Retry-After beyond the bucket, and the staggered drain.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@switchboard/client';
import { startTestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { parseReconnectAfter } from '@switchboard/wire';
import { startServe, stopChild } from './helpers/process.js';
import { SECRET, hs } from './helpers/jwt.js';
import { ChildLines } from './helpers/sdk-subscriber.js';
import { until } from './helpers/wait.js';

const CONNECTIONS = 5000;
const API_KEY = 'storm-test-api-key-0123456789';
const STORM_CLIENTS = fileURLToPath(new URL('./fixtures/storm-clients.ts', import.meta.url));

/** handshakes_total by status, read from the server's /metrics. */
async function handshakes(base: string): Promise<{ ok: number; refused: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const count = (status: string) =>
    Number(new RegExp(`^switchboard_handshakes_total\\{status="${status}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { ok: count('101'), refused: count('503') };
}

interface StormResult {
  peakAccepted: number;
  peakAttempts: number;
  refused: number;
  allBackMs: number;
}

/**
 * 5,000 clients of one user on a fresh server, all disconnected at once (3011); the server's handshake rate per second.
 */
async function storm(
  acceptRate: object | false,
  backoff: { baseMs: number; capMs: number },
  pace: number,
): Promise<StormResult> {
  const config = join(tmpdir(), `sb-storm-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ apiKey: API_KEY, jwt: { secret: SECRET }, acceptRate, namespaces: {} }));
  const { child: server, base } = await startServe(['--port', '0', '--config', config]);
  let clients: ChildProcess | undefined;
  try {
    const url = `${base.replace('http', 'ws')}/connection/websocket`;
    const token = await hs({ sub: 'storm' }, { ttl: 3600 });
    clients = spawn(
      process.execPath,
      [
        '--conditions=@switchboard/source',
        '--import',
        'tsx',
        STORM_CLIENTS,
        url,
        token,
        String(CONNECTIONS),
        String(backoff.baseMs),
        String(backoff.capMs),
        String(pace),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = new ChildLines<{ event: string; ms?: number }>(clients);
    await lines.next((l) => l.event === 'ready', 60_000);
    const back = lines.next((l) => l.event === 'reconnected', 60_000);
    let done: { ms?: number } | undefined;
    void back.then((l) => (done = l));
    // Rates over a sliding second, from the server's counters and the real time between reads.
    const samples = [{ at: performance.now(), ...(await handshakes(base)) }];
    let peakAccepted = 0;
    let peakAttempts = 0;
    const dropped = await fetch(`${base}/api/disconnect`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}` },
      body: JSON.stringify({ user: 'storm' }),
    });
    assert.equal(dropped.status, 200);
    while (!done) {
      await sleep(250);
      const now = { at: performance.now(), ...(await handshakes(base)) };
      samples.push(now);
      const from = samples[Math.max(0, samples.length - 5)];
      const seconds = (now.at - from.at) / 1000;
      peakAccepted = Math.max(peakAccepted, Math.round((now.ok - from.ok) / seconds));
      peakAttempts = Math.max(peakAttempts, Math.round((now.ok + now.refused - from.ok - from.refused) / seconds));
    }
    const last = samples.at(-1)!;
    const start = samples[0];
    return { peakAccepted, peakAttempts, refused: last.refused - start.refused, allBackMs: done.ms! };
  } finally {
    await stopChild(clients);
    await stopChild(server);
  }
}

describe('reconnect storms', () => {
  const lines: string[] = [];
  after(() => console.log(lines.map((l) => `# ${l}`).join('\n')));

  it(`${CONNECTIONS} connections dropped at once: peak handshake rate without and with protection`, async () => {
    const bare = await storm(false, { baseMs: 1, capMs: 1 }, 5000);
    lines.push(
      `no jitter, no limit:           peak ${bare.peakAccepted} handshakes/s accepted (${bare.peakAttempts}/s ` +
        `attempted), all ${CONNECTIONS} back in ${bare.allBackMs} ms`,
    );
    const guarded = await storm({ perSecond: 1000, burst: 250 }, { baseMs: 500, capMs: 20_000 }, 800);
    lines.push(
      `full jitter + 1000/s bucket:   peak ${guarded.peakAccepted} handshakes/s accepted (${guarded.peakAttempts}/s ` +
        `attempted, ${guarded.refused} answered 503), all ${CONNECTIONS} back in ${guarded.allBackMs} ms`,
    );
    // At most the burst plus a second's refill in any second (+10 % for the timing of the reads).
    assert.ok(guarded.peakAccepted <= (1000 + 250) * 1.1, `the bucket holds: ${guarded.peakAccepted}/s`);
    assert.ok(guarded.peakAccepted < bare.peakAccepted, 'protection lowers the peak');
  });

  it('beyond the bucket: 503 with Retry-After, and the SDK comes back later', async (t) => {
    const server = await startTestServer({ acceptRate: { perSecond: 20, burst: 5 } });
    const port = new URL(server.httpUrl).port;
    const answers = await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
            const req = request({
              port,
              path: '/connection/websocket',
              headers: {
                connection: 'Upgrade',
                upgrade: 'websocket',
                'sec-websocket-version': '13',
                'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
                'sec-websocket-protocol': 'switchboard.v1.json',
              },
            });
            req.on('upgrade', (res, socket) => (socket.destroy(), resolve({ status: res.statusCode! })));
            req.on(
              'response',
              (res) => (res.resume(), resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] })),
            );
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    const refused = answers.filter((a) => a.status === 503);
    lines.push(
      `bucket of 5 (20/s): 12 handshakes at once → ${answers.length - refused.length}× 101, ${refused.length}× 503 ` +
        `(Retry-After ${[...new Set(refused.map((a) => a.retryAfter))].join(', ')} s)`,
    );
    assert.equal(answers.length - refused.length, 5);
    assert.ok(refused.every((a) => Number(a.retryAfter) >= 1));
    const client = new Client(server.url, { WebSocket, backoff: { baseMs: 50, capMs: 200 } });
    client.connect();
    // Hooks run in order: clients stop before the server closes under them.
    t.after(() => client.disconnect());
    await until(() => client.state === 'connected', 'the SDK connected once tokens were back');
    t.after(() => server.close());
  });

  it('a staggered drain: batches apart, 1012 with a reconnect-after window the SDK spreads over', async (t) => {
    const server = await startTestServer({ drainBatchSize: 40, drainIntervalMs: 200, drainReconnectWindowMs: 2000 });
    const closes: { at: number; code: number; retryInMs: number; reason: string }[] = [];
    const clients = Array.from({ length: 120 }, () => {
      const c = new Client(server.url, { WebSocket });
      c.on('disconnected', (e) =>
        closes.push({ at: performance.now(), code: e.code, retryInMs: e.retryInMs ?? -1, reason: e.reason }),
      );
      c.connect();
      return c;
    });
    t.after(() => clients.forEach((c) => c.disconnect()));
    t.after(() => server.close());
    await until(() => clients.every((c) => c.state === 'connected'), 'all connected');
    const started = performance.now();
    const drained = server.server.drain();
    const health = await fetch(`${server.httpUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal(await drained, 120);
    await until(() => closes.filter((c) => c.code === 1012).length === 120, 'every client told');
    const drainCloses = closes.filter((c) => c.code === 1012);
    const batches = [0, 1, 2].map((b) => drainCloses.slice(b * 40, b * 40 + 40).map((c) => Math.round(c.at - started)));
    const delays = drainCloses.map((c) => c.retryInMs).sort((a, b) => a - b);
    lines.push(
      `drain of 120 in batches of 40 every 200 ms: ` +
        `closes at ${batches.map((b) => `${Math.min(...b)}–${Math.max(...b)} ms`).join(', ')}; ` +
        `code ${drainCloses[0].code} "${drainCloses[0].reason}"; SDK retry delays ${delays[0]}–${delays.at(-1)} ms, ` +
        `median ${delays[60]}`,
    );
    assert.ok(drainCloses.every((c) => parseReconnectAfter(c.reason)?.maxMs === 2000));
    assert.ok(batches[2][0] - batches[0][0] >= 350, 'batches are apart');
    assert.ok(delays[0] >= 0 && delays.at(-1)! < 2000 && delays.at(-1)! - delays[0] > 1000, 'spread over the window');
    // A client that comes back while the node still drains is turned away (3401) with the same window.
    await until(() => closes.some((c) => c.code === 3401), 'a returning client turned away');
    assert.ok(closes.filter((c) => c.code === 3401).every((c) => parseReconnectAfter(c.reason)?.maxMs === 2000));
  });
});
