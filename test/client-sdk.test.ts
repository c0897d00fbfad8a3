// The client SDK in Node against the real server on port 0: reconnect loop, backoff reset, terminal codes,
// the reconnect-after window, RPC timeout, the outgoing queue, async iteration, online/offline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  ClientErrorCode,
  applyPresenceDiff,
  presenceFromList,
  type PresenceState,
  ClientState,
  type ClientError,
  type ClientEvent,
  type ClientOptions,
  type Publication,
} from '@switchboard/client';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { startTcpProxy, type TcpProxy } from '@switchboard/testing/internal';
import { WebSocket } from '@switchboard/websocket';
import { until } from './helpers/wait.js';

describe('client SDK', () => {
  let t: TestServer;
  let proxy: TcpProxy;
  let proxied: string;
  before(async () => {
    t = await startTestServer({
      allowAnonymous: false,
      personalNamespace: 'me',
      namespaces: {
        room: { history: { size: 1000, ttlMs: 60_000 }, allowPublish: true },
        me: {},
        lobby: { presence: true, joinLeave: true },
      },
      hooks: {
        onConnecting: (ctx) => ({ userId: ctx.token ?? 'anon' }),
        onRpc: { echo: (_ctx, data) => data, slow: () => sleep(1000) },
      },
    });
    proxy = await startTcpProxy(Number(new URL(t.url).port));
    proxied = t.url.replace(`:${new URL(t.url).port}/`, `:${proxy.port}/`);
  });
  after(async () => {
    await proxy.close();
    await t.close();
  });

  const open = (user: string, options: ClientOptions = {}, url = proxied) => {
    const client = new Client(url, { WebSocket, token: user, backoff: { baseMs: 10, capMs: 50 }, ...options });
    return client;
  };
  const events = <T extends ClientEvent['type']>(client: Client, type: T) => {
    const seen: Extract<ClientEvent, { type: T }>[] = [];
    client.on(type, (e) => seen.push(e));
    return seen;
  };

  it(
    'reconnects after every cut (abrupt 1006, no close frame) ' + 'and delivers each publication once, in order',
    async (ctx) => {
      const client = open('loop');
      ctx.after(() => client.disconnect());
      const seen: number[] = [];
      client.subscribe('room:loop').on('publication', (p) => seen.push(p.data as number));
      const connects = events(client, 'connected');
      const drops = events(client, 'disconnected');
      client.connect();
      let n = 0;
      for (let round = 0; round < 20; round++) {
        await until(() => client.getSubscription('room:loop')?.state === 'subscribed', `subscribed (round ${round})`);
        for (let i = 0; i < 5; i++) await t.api('publish', { channel: 'room:loop', data: ++n });
        assert.equal(proxy.cutAll() >= 1, true);
        for (let i = 0; i < 3; i++) await t.api('publish', { channel: 'room:loop', data: ++n }); // while it is away
      }
      await until(() => seen.length === n, `all ${n} delivered`);
      assert.deepEqual(
        seen,
        Array.from({ length: n }, (_, i) => i + 1),
      );
      assert.equal(connects.length, 21);
      assert.ok(drops.every((d) => d.code === 1006 && d.willReconnect));
      assert.ok(connects.slice(1).every((c) => c.type === 'connected'));
    },
  );

  it('grows the backoff while connections are short-lived and starts over once one is stable', async (ctx) => {
    const client = open('stable', { backoff: { baseMs: 20, capMs: 2000, random: () => 0.999 }, stableAfterMs: 300 });
    ctx.after(() => client.disconnect());
    const drops = events(client, 'disconnected');
    client.connect();
    for (let i = 0; i < 4; i++) {
      await until(() => client.state === ClientState.Connected, 'connected');
      proxy.cutAll();
      await until(() => drops.length === i + 1, 'dropped');
    }
    await until(() => client.state === ClientState.Connected, 'connected');
    await sleep(400); // stable
    proxy.cutAll();
    await until(() => drops.length === 5, 'dropped');
    // floor(0.999 · min(cap, 20·2^attempt)): 19, 39, 79, 159, then back to 19.
    assert.deepEqual(
      drops.map((d) => d.retryInMs),
      [19, 39, 79, 159, 19],
    );
  });

  it('stops on terminal codes, and fails what was waiting with Closed', async (ctx) => {
    for (const code of [3503, 4501]) {
      const client = open(`terminal-${code}`);
      ctx.after(() => client.disconnect());
      const drops = events(client, 'disconnected');
      client.connect();
      await until(() => client.state === ClientState.Connected, 'connected');
      await t.api('disconnect', { user: `terminal-${code}`, code, reason: 'go away' });
      await until(() => client.state === ClientState.Closed, 'closed');
      await sleep(100);
      assert.deepEqual(drops, [{ type: 'disconnected', code, reason: 'go away', willReconnect: false }]);
      assert.equal(client.state, ClientState.Closed);
      await assert.rejects(client.publish('room:x', 1), (e: ClientError) => e.code === ClientErrorCode.Closed);
    }
  });

  it('honours the server reconnect-after window, each client at its own point inside it', async (ctx) => {
    const clients = Array.from({ length: 12 }, () => open('drained', { backoff: { baseMs: 1, capMs: 2 } }));
    ctx.after(() => clients.forEach((c) => c.disconnect()));
    const backAt: number[] = [];
    const retry: number[] = [];
    for (const c of clients) {
      c.on('disconnected', (e) => retry.push(e.retryInMs!));
      c.connect();
    }
    await until(() => clients.every((c) => c.state === ClientState.Connected), 'all connected');
    for (const c of clients) c.on('connected', () => backAt.push(Date.now()));
    const start = Date.now();
    const r = await t.api('disconnect', {
      user: 'drained',
      code: 3401,
      reason: 'draining',
      reconnectAfterMs: 300,
      reconnectUntilMs: 900,
    });
    assert.equal(r.status, 200);
    await until(() => backAt.length === clients.length, 'all back', 3000);
    const spread = backAt.map((at) => at - start);
    assert.ok(
      retry.every((d) => d >= 300 && d < 900),
      `retry delays ${retry}`,
    );
    assert.ok(Math.min(...spread) >= 300, `none before the window: ${spread}`);
    assert.ok(Math.max(...retry) - Math.min(...retry) > 200, `spread over the window: ${retry}`);
  });

  it(
    'fails an RPC that gets no reply in time with 114; ' + 'the late reply is dropped and the connection stays usable',
    async (ctx) => {
      const client = open('rpc');
      ctx.after(() => client.disconnect());
      client.connect();
      const started = Date.now();
      await assert.rejects(
        client.rpc('slow', null, { timeoutMs: 200 }),
        (e: ClientError) => e.code === ClientErrorCode.Timeout && e.temporary,
      );
      assert.ok(Date.now() - started >= 200);
      assert.deepEqual(await client.rpc('echo', { a: 1 }), { a: 1 });
      assert.equal(client.state, ClientState.Connected);
    },
  );

  it('queues commands while disconnected, bounded, and sends them in order once connected', async (ctx) => {
    const watcher = await t.client({ token: 'watcher', subs: { 'room:queue': {} } });
    ctx.after(() => watcher.close());
    const client = open('queue', { maxQueue: 3 });
    ctx.after(() => client.disconnect());
    const queued = [1, 2, 3].map((i) => client.publish('room:queue', i));
    await assert.rejects(
      client.publish('room:queue', 4),
      (e: ClientError) => e.code === ClientErrorCode.QueueFull && e.temporary,
    );
    client.connect();
    const acks = await Promise.all(queued);
    assert.deepEqual(
      acks.map((a) => a.offset),
      [1, 2, 3],
    );
    await until(() => watcher.publications('room:queue').length === 3, 'watcher got 3');
    assert.deepEqual(
      watcher.publications('room:queue').map((p) => p.data),
      [1, 2, 3],
    );
  });

  it(
    'sends an idempotent publish again after the connection drops under it: ' + 'acked, and published once',
    async (ctx) => {
      const watcher = await t.client({ token: 'watcher2', subs: { 'room:idem': {} } });
      ctx.after(() => watcher.close());
      const client = open('idem');
      ctx.after(() => client.disconnect());
      client.connect();
      await until(() => client.state === ClientState.Connected, 'connected');
      const plain: Promise<unknown>[] = [];
      const keyed: Promise<{ offset: number }>[] = [];
      for (let i = 0; i < 10; i++) {
        keyed.push(client.publish('room:idem', `k${i}`, { idempotencyKey: `idem-${i}` }));
        plain.push(client.rpc('echo', i).catch((e: ClientError) => e.code));
        proxy.cutAll(); // while both are in flight
        await until(() => client.state === ClientState.Connected, 'reconnected');
      }
      const acks = await Promise.all(keyed);
      assert.equal(new Set(acks.map((a) => a.offset)).size, 10);
      // An RPC may have run: it is not sent again, it fails with ConnectionLost (or was answered in time).
      for (const r of await Promise.all(plain))
        assert.ok(r === ClientErrorCode.ConnectionLost || typeof r === 'number');
      await until(() => watcher.publications('room:idem').length >= 10, 'watcher got 10');
      await sleep(100);
      assert.deepEqual(
        watcher.publications('room:idem').map((p) => p.data),
        Array.from({ length: 10 }, (_, i) => `k${i}`),
      );
      assert.equal((await t.api('history', { channel: 'room:idem' })).body.publications.length, 10);
    },
  );

  it('iterates publications with for await; unsubscribe ends the loop; a refused subscription throws', async (ctx) => {
    const client = open('iter');
    ctx.after(() => client.disconnect());
    client.connect();
    const sub = client.subscribe('room:iter');
    await until(() => sub.state === 'subscribed', 'subscribed');
    let delivered = 0;
    sub.on('publication', () => delivered++);
    // The loop starts (and its iterator listens) before the publishes: a stream holds only what comes after it.
    const first = (async () => {
      const got: Publication[] = [];
      for await (const pub of sub) {
        got.push(pub);
        if (got.length === 3) break;
      }
      return got;
    })();
    for (let i = 1; i <= 5; i++) await t.api('publish', { channel: 'room:iter', data: i });
    const got = await first;
    await until(() => delivered === 5, 'all five delivered');
    assert.deepEqual(
      got.map((p) => [p.channel, p.offset, p.data]),
      [
        ['room:iter', 1, 1],
        ['room:iter', 2, 2],
        ['room:iter', 3, 3],
      ],
    );
    const rest: unknown[] = [];
    const loop = (async () => {
      for await (const pub of sub) rest.push(pub.data);
    })();
    await t.api('publish', { channel: 'room:iter', data: 6 });
    await until(() => rest.length === 1, 'live one');
    sub.unsubscribe();
    await loop;
    assert.deepEqual(rest, [6]);
    await assert.rejects(
      (async () => {
        for await (const _ of client.subscribe('nowhere:x')) void _;
      })(),
      (e: ClientError) => e.code === 102,
    );
  });

  it('subscribes channels made while connecting, and adopts server-side ones', async (ctx) => {
    const client = open('late');
    ctx.after(() => client.disconnect());
    client.connect();
    const sub = client.subscribe('room:late'); // after connect(), before the reply
    await until(() => client.state === ClientState.Connected && sub.state === 'subscribed', 'subscribed');
    await until(() => client.getSubscription('me:#late')?.state === 'subscribed', 'personal channel');
    const got: unknown[] = [];
    client.getSubscription('me:#late')!.on('publication', (p) => got.push(p.data));
    await t.api('publish', { channel: 'me:#late', data: 'for you' });
    await until(() => got.length === 1, 'personal publication');
  });

  it('pauses on offline and reconnects at once on online, recovering what it missed', async (ctx) => {
    const network = new EventTarget();
    const client = open('net', { network, backoff: { baseMs: 5000, capMs: 5000 } });
    ctx.after(() => client.disconnect());
    const seen: unknown[] = [];
    client.subscribe('room:net').on('publication', (p) => seen.push(p.data));
    client.connect();
    await until(() => client.getSubscription('room:net')?.state === 'subscribed', 'subscribed');
    network.dispatchEvent(new Event('offline'));
    assert.equal(client.state, ClientState.Disconnected);
    await t.api('publish', { channel: 'room:net', data: 'missed' });
    await sleep(200);
    assert.equal(client.state, ClientState.Disconnected, 'no reconnect while offline');
    const started = Date.now();
    network.dispatchEvent(new Event('online'));
    await until(() => seen.length === 1, 'recovered');
    assert.ok(Date.now() - started < 1000, 'online reconnects without the 5 s backoff');
    assert.deepEqual(seen, ['missed']);
  });

  it('keeps a presence set from presence() plus join/leave events, with the shared merge functions', async (ctx) => {
    const ann = open('p-ann');
    const bob = open('p-bob');
    ctx.after(() => [ann, bob].forEach((c) => c.disconnect()));
    let present: PresenceState = new Map();
    const sub = ann.subscribe('lobby:p');
    sub.on('join', (e) => (present = applyPresenceDiff(present, e)));
    sub.on('leave', (e) => (present = applyPresenceDiff(present, e)));
    ann.connect();
    await until(() => sub.state === 'subscribed', 'subscribed');
    present = presenceFromList(await ann.presence('lobby:p'));
    bob.subscribe('lobby:p');
    bob.connect();
    const users = () => [...present.values()].map((i) => i.userId).sort();
    await until(() => users().length === 2, 'bob joined');
    assert.deepEqual(users(), ['p-ann', 'p-bob']);
    assert.deepEqual(await ann.presenceStats('lobby:p'), { clients: 2, users: 2 });
    bob.disconnect();
    await until(() => users().length === 1, 'bob left');
    assert.deepEqual(users(), ['p-ann']);
  });
});
