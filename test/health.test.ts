// Health: /health/live, /health/ready (and its alias /health) while starting, running, during a Redis outage
// (a throwaway redis-server frozen, then killed) and during the staggered drain of a `serve` process on SIGTERM,
// which exits 0 afterwards; /metrics behind the API key or a token.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryEngine } from '@switchboard/engine-memory';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { TestClient } from '@switchboard/testing';
import { startRedis, type RedisProcess } from '@switchboard/testing/internal';
import { startServe, stopChild } from './helpers/process.js';

const KEY = 'health-test-api-key-0123456789';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('health and readiness', () => {
  const servers: SwitchboardServer[] = [];
  let redis: RedisProcess | undefined;
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
  });

  it('live is 200 while the process is up; ready (and /health) 200 when running, 503 "starting" before', async () => {
    const server = createServer({});
    servers.push(server);
    const { port } = await server.listen(0);
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await get(`${base}/health/live`), { status: 200, body: { status: 'ok', node: server.nodeId } });
    assert.deepEqual(await get(`${base}/health/ready`), { status: 200, body: { status: 'ok', node: server.nodeId } });
    assert.deepEqual((await get(`${base}/health`)).status, 200);
    // A node whose engine is still starting: its HTTP server already answers, and ready says 503 "starting".
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cold = createServer({ engine: async (node) => (await gate, memoryEngine()(node)) });
    servers.push(cold);
    const http = createHttpServer((req, res) => void cold.handleRequest(req, res));
    cold.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const coldBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      assert.deepEqual(await get(`${coldBase}/health/ready`), {
        status: 503,
        body: { status: 'starting', node: cold.nodeId },
      });
      assert.equal((await get(`${coldBase}/health/live`)).status, 200);
      release();
      await cold.start();
      assert.equal((await get(`${coldBase}/health/ready`)).status, 200);
    } finally {
      http.close();
    }
  });

  it(
    'ready is 503 "engine-unavailable" while Redis is frozen or dead, ' +
      'and 200 again when it is back; live stays 200',
    async () => {
      redis = await startRedis();
      const server = createServer({
        engine: redisEngine({ urls: [redis.url], commandTimeoutMs: 500 }),
        readinessTimeoutMs: 300,
      });
      servers.push(server);
      const { port } = await server.listen(0);
      const base = `http://127.0.0.1:${port}`;
      const seen: string[] = [];
      const ready = async () => {
        const r = await get(`${base}/health/ready`);
        seen.push(`${r.status} ${r.body.status}`);
        return r;
      };
      assert.equal((await ready()).status, 200);
      redis.freeze();
      const frozenAt = performance.now();
      const frozen = await ready();
      const ms = Math.round(performance.now() - frozenAt);
      assert.deepEqual([frozen.status, frozen.body.status], [503, 'engine-unavailable']);
      assert.ok(ms < 1000, `answered in ${ms} ms`);
      assert.equal((await get(`${base}/health`)).status, 503, '/health is the alias of ready');
      assert.equal((await get(`${base}/health/live`)).status, 200);
      redis.thaw();
      for (let i = 0; (await ready()).status !== 200; i++)
        if (i > 100) assert.fail('ready did not come back after thaw');
      await redis.kill();
      assert.deepEqual(
        [(await ready()).status, (await get(`${base}/health`)).body.status],
        [503, 'engine-unavailable'],
      );
      await redis.restart();
      for (let i = 0; (await ready()).status !== 200; i++) {
        if (i > 100) assert.fail('ready did not come back after restart');
        await sleep(50);
      }
      console.log(
        `# readiness during a Redis outage: ${seen.filter((s, i) => s !== seen[i - 1]).join(' → ')} (frozen: ` +
          `answered in ${ms} ms)`,
      );
    },
  );

  it('/metrics: open by default; behind the API key or a bearer token when protectMetrics says so', async () => {
    const open = createServer({});
    const byKey = createServer({ apiKey: KEY, protectMetrics: 'apiKey' });
    const byToken = createServer({ protectMetrics: { token: 'metrics-token-0123456789' } });
    servers.push(open, byKey, byToken);
    const [a, b, c] = await Promise.all([open.listen(0), byKey.listen(0), byToken.listen(0)]);
    assert.equal((await get(`http://127.0.0.1:${a.port}/metrics`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${b.port}/metrics`)).status, 401);
    assert.equal(
      (await get(`http://127.0.0.1:${b.port}/metrics`, { authorization: 'apikey wrong-wrong-wrong-wrong' })).status,
      401,
    );
    assert.equal((await get(`http://127.0.0.1:${b.port}/metrics`, { authorization: `apikey ${KEY}` })).status, 200);
    assert.equal((await get(`http://127.0.0.1:${c.port}/metrics`, { authorization: `apikey ${KEY}` })).status, 401);
    assert.equal(
      (await get(`http://127.0.0.1:${c.port}/metrics`, { authorization: 'Bearer metrics-token-0123456789' })).status,
      200,
    );
    assert.throws(() => createServer({ protectMetrics: 'apiKey' }), /protectMetrics 'apiKey' needs apiKey/);
    assert.throws(() => createServer({ protectMetrics: { token: 'short' } }), /protectMetrics must be/);
  });

  it('SIGTERM on serve: ready goes 503 "draining" at once, the connections close in staggered batches, ' +
    'then the process exits 0', {
    timeout: 30_000,
  }, async () => {
    const config = join(tmpdir(), `sb-health-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        allowAnonymous: true,
        namespaces: {},
        drainBatchSize: 2,
        drainIntervalMs: 400,
        drainReconnectWindowMs: 1000,
      }),
    );
    const { child, base } = await startServe(['--port', '0', '--config', config]);
    try {
      const ws = base.replace('http', 'ws') + '/connection/websocket';
      const clients = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const c = await TestClient.open(ws);
          await c.connect({});
          return c;
        }),
      );
      assert.equal((await get(`${base}/health/ready`)).status, 200);
      const t0 = performance.now();
      const closedAt = clients.map((c) =>
        c.closed.then((close) => ({ ...close, ms: Math.round(performance.now() - t0) })),
      );
      child.kill('SIGTERM');
      const exited = once(child, 'exit');
      let draining: { status: number; body: any } | undefined;
      for (let i = 0; i < 50; i++) {
        draining = await get(`${base}/health/ready`);
        if (draining.status === 503) break;
        await sleep(10);
      }
      assert.deepEqual([draining!.status, draining!.body.status], [503, 'draining']);
      assert.equal((await get(`${base}/health/live`)).status, 200, 'alive while draining');
      const closes = await Promise.all(closedAt);
      const [code, signal] = (await exited) as [number | null, string | null];
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
      assert.ok(closes.every((c) => c.code === 1012 && /reconnect-after=0-1000/.test(c.reason)));
      const times = closes.map((c) => c.ms).sort((x, y) => x - y);
      // Three batches of two, 400 ms apart.
      assert.ok(times[5] - times[0] >= 700, `closes at ${times.join(', ')} ms`);
      console.log(`# SIGTERM: ready 503 "draining" at once; closes (1012) at ${times.join(', ')} ms; exit code 0`);
    } finally {
      await stopChild(child);
    }
  });
});
