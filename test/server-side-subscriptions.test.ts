// Server-side subscriptions and the API's completeness: `subscribe` (a user's connections on any node of a 2-node
// Redis cluster, with recovery; the SDK surfaces it as a subscription), `refresh`, `/api/batch`; and coalesced presence
// diffs, measured with 5,000 members joining one channel at once (pushes sent, one per event vs one per window).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type Subscription } from '@switchboard/client';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer, MemoryTransport, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import { TestClient } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { JsonCodec } from '@switchboard/wire';
import { MemoryClient } from './helpers/memory-client.js';
import { until } from './helpers/wait.js';

const KEY = 'ssub-test-api-key-0123456789';
const NAMESPACES: ServerOptions['namespaces'] = { feed: { history: { size: 100, ttlMs: 60_000 } }, plain: {} };
const servers: SwitchboardServer[] = [];

async function node(options: ServerOptions = {}): Promise<{
  server: SwitchboardServer;
  port: number;
  api: (method: string, body: object) => Promise<{ status: number; body: any }>;
}> {
  const server = createServer({
    apiKey: KEY,
    namespaces: NAMESPACES,
    hooks: {
      onConnecting: (ctx) => ({
        userId: ctx.token ?? '',
        expiresAt: (ctx.data as { expiresAt?: number } | undefined)?.expiresAt,
      }),
    },
    ...options,
  });
  servers.push(server);
  const { port } = await server.listen(0);
  const api = async (method: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `apikey ${KEY}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return { server, port, api };
}

describe('server-side subscriptions and API completeness', () => {
  after(() => Promise.all(servers.map((s) => s.close())));

  it(
    'API subscribe reaches the user’s connections on every node, with recovery; the SDK surfaces it as a ' +
      'subscription',
    async () => {
      const shared = `sb-ssub-${randomUUID().slice(0, 6)}:`;
      const [a, b] = [
        await node({ engine: redisEngine({ prefix: shared }) }),
        await node({ engine: redisEngine({ prefix: shared }) }),
      ];
      // An SDK client on node A, a protocol-level client on node B, both user "ann"; "bob" on B must not be touched.
      const sdk = new Client(`ws://127.0.0.1:${a.port}/connection/websocket`, { WebSocket, token: 'ann' });
      const surfaced: Subscription[] = [];
      sdk.on('subscribed', (e) => surfaced.push(e.subscription));
      sdk.connect();
      await until(() => sdk.isConnected(), 'sdk connected');
      const raw = await TestClient.open(`ws://127.0.0.1:${b.port}/connection/websocket`);
      await raw.connect({ token: 'ann' });
      const bob = await TestClient.open(`ws://127.0.0.1:${b.port}/connection/websocket`);
      await bob.connect({ token: 'bob' });
      // Wait until the nodes know each other (the cluster broadcast reaches both).
      for (let i = 0; (await a.api('info', {})).body.nodes.length < 2; i++)
        if (i > 100) assert.fail('the nodes did not find each other');

      const first = await a.api('publish', { channel: 'feed:news', data: 'one' });
      await a.api('publish', { channel: 'feed:news', data: 'two' });
      await a.api('publish', { channel: 'feed:news', data: 'three' });
      const since = { offset: first.body.offset, epoch: first.body.epoch };
      assert.deepEqual(await b.api('subscribe', { user: 'ann', channel: 'feed:news', since }), {
        status: 200,
        body: {},
      });

      const push = (await raw.expectPush((p) => p.push === 'subscribe')) as any;
      assert.equal(push.channel, 'feed:news');
      assert.equal(push.result.recovered, true);
      assert.deepEqual(
        push.result.publications.map((p: { data: unknown }) => p.data),
        ['two', 'three'],
      );
      await until(() => surfaced.length === 1, 'SDK subscribed event');
      const sub = surfaced[0];
      assert.equal(sub.channel, 'feed:news');
      assert.equal(sdk.getSubscription('feed:news'), sub);
      const got: unknown[] = [];
      sub.on('publication', (p) => got.push(p.data));
      await until(() => sub.state === 'subscribed', 'subscribed');
      await a.api('publish', { channel: 'feed:news', data: 'four' });
      await raw.expectPublication('feed:news', 'four');
      await until(() => got.includes('four'), 'SDK got the live publication');
      await sleep(100);
      assert.equal(bob.pushes.filter((p) => p.push === 'subscribe').length, 0);
      // Bad requests are refused with the documented answers.
      assert.equal((await a.api('subscribe', { user: 'ann', channel: 'nope:x' })).body.error.code, 102);
      assert.equal((await a.api('subscribe', { channel: 'feed:x' })).status, 400);
      sdk.disconnect();
      await raw.close();
      await bob.close();
    },
  );

  it('API refresh extends a user’s session from the backend (no refresh push, no 3005)', async () => {
    const { server, api } = await node({ tokenGraceMs: 150 });
    const kept = new MemoryClient(server);
    await kept.command('connect', { token: 'cy', data: { expiresAt: Date.now() + 300 } });
    const lapsed = new MemoryClient(server);
    await lapsed.command('connect', { token: 'dee', data: { expiresAt: Date.now() + 300 } });
    assert.deepEqual(await api('refresh', { user: 'cy', expiresAt: Date.now() + 60_000 }), { status: 200, body: {} });
    await until(() => lapsed.closed !== undefined, 'the other session lapsed', 3000);
    assert.equal(lapsed.closed!.code, 3005);
    assert.equal(kept.closed, undefined);
    assert.equal(kept.pushes.filter((p) => p.push === 'refresh').length, 0);
    assert.equal((await api('refresh', { user: 'cy', expiresAt: 1 })).status, 400);
  });

  it('/api/batch: several commands, answered in order, each with its result or error', async () => {
    const { api } = await node();
    const res = await api('batch', {
      commands: [
        { method: 'publish', params: { channel: 'feed:b', data: 1 } },
        { method: 'publish', params: { channel: 'feed:b', data: 2 } },
        { method: 'history', params: { channel: 'feed:b' } },
        { method: 'nope' },
        { method: 'history', params: { channel: 'plain:x' } },
        { method: 'batch', params: { commands: [] } },
      ],
    });
    assert.equal(res.status, 200);
    const [p1, p2, h, nope, notAvailable, nested] = res.body.replies;
    assert.deepEqual([p1.result.offset, p2.result.offset], [1, 2]);
    assert.deepEqual(
      h.result.publications.map((p: { data: number }) => p.data),
      [1, 2],
    );
    assert.equal(nope.error.code, 104);
    assert.equal(notAvailable.error.code, 108);
    assert.equal(nested.error.code, 104);
    assert.equal((await api('batch', { commands: [] })).status, 400);
  });

  it('coalesced presence diffs: 5,000 members joining at once, pushes per event vs per window', {
    timeout: 120_000,
  }, async () => {
    const MEMBERS = 5000;
    const codec = new JsonCodec();
    const encoder = new TextEncoder();
    const run = async (joinLeaveWindowMs: number) => {
      const server = createServer({
        allowAnonymous: true,
        commandRate: false,
        maxChannelsPerNode: 10,
        namespaces: { room: { presence: true, joinLeave: true, joinLeaveWindowMs, maxPresenceMembers: MEMBERS } },
      });
      servers.push(server);
      await server.start();
      let replies = 0;
      let single = 0;
      let batched = 0;
      let announced = 0;
      const J = 'j'.charCodeAt(0);
      const P = 'p'.charCodeAt(0);
      const R = 'r'.charCodeAt(0);
      const transports: MemoryTransport[] = [];
      for (let i = 0; i < MEMBERS; i++) {
        const t = new MemoryTransport(codec, {
          onMessage(bytes) {
            // '{"id":…' is a reply; '{"push":"join"…' / '{"push":"presence"…' a presence push.
            if (bytes[2] === 'i'.charCodeAt(0)) return void replies++;
            if (bytes[9] === J) single++, announced++;
            else if (bytes[9] === P && bytes[10] === R) {
              batched++;
              announced += (JSON.parse(new TextDecoder().decode(bytes)) as { joins: unknown[] }).joins.length;
            }
          },
          onClose() {},
        });
        server.open(t);
        transports.push(t);
      }
      // All connected first; then they join within one second, 100 every 20 ms (all at the very same instant, none
      // would be live yet to receive the others' joins).
      for (const t of transports) t.send(encoder.encode(JSON.stringify({ id: 1, method: 'connect', params: {} })));
      await until(() => replies === MEMBERS, 'all connected', 60_000);
      const started = performance.now();
      for (let i = 0; i < MEMBERS; i++) {
        transports[i].send(
          encoder.encode(JSON.stringify({ id: 2, method: 'subscribe', params: { channel: 'room:big' } })),
        );
        if (i % 100 === 99) await sleep(20);
      }
      await until(() => replies === 2 * MEMBERS, 'all subscribed', 60_000);
      const ms = Math.round(performance.now() - started);
      await sleep(joinLeaveWindowMs + 100);
      for (const t of transports) t.closeFromClient();
      await server.close();
      return { pushes: single + batched, announced, ms };
    };
    const before = await run(0);
    const afterRun = await run(50);
    console.log(
      `# presence, ${MEMBERS} members joining one channel at once: one push per join → ${before.pushes} ` +
        `pushes (${before.announced} joins delivered, ${before.ms} ms); joinLeaveWindowMs 50 → ${afterRun.pushes} ` +
        `pushes (${afterRun.announced} joins delivered, ${afterRun.ms} ms)`,
    );
    assert.ok(
      afterRun.pushes * 50 < before.pushes,
      `coalescing saved too little: ${afterRun.pushes} vs ${before.pushes}`,
    );
    assert.ok(afterRun.pushes <= MEMBERS * Math.ceil(afterRun.ms / 50 + 2));
    assert.ok(before.announced > MEMBERS * 100, 'the members were live to receive the others’ joins');
    assert.ok(
      afterRun.announced > 0.8 * before.announced,
      `the windows delivered ${afterRun.announced} joins, one by one ${before.announced}`,
    );
  });
});
