// Session over the memory transport (ChannelTest), with no socket: the command
// queue, the connect deadline, the hook context, credentials, heartbeats, and
// what a closed session leaves behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelTest, TestReplyError } from '@switchboard/testing';
import type { SessionContext } from '../src/index.js';

const rejectsWith = (code: number) => (error: unknown) => error instanceof TestReplyError && error.code === code;

describe('Session (memory transport, no socket)', () => {
  it(
    'handles commands one at a time, in order, with one reply each; a publication reaches its subscriber before the ' +
      'publish reply',
    async () => {
      const t = await ChannelTest.start({
        namespaces: { chat: { allowPublish: true, history: { size: 10, ttlMs: 60_000 } } },
      });
      try {
        const c = await t.connect();
        const order: string[] = [];
        const replies = [
          c.command('subscribe', { channel: 'chat:a' }).then(() => order.push('subscribe')),
          c
            .command('publish', { channel: 'chat:a', data: 1 })
            .then(() => order.push(`publish (pushes so far: ${c.publications('chat:a').length})`)),
          c.command('history', { channel: 'chat:a' }).then((h) => order.push(`history ${h.publications.length}`)),
        ];
        await Promise.all(replies);
        assert.deepEqual(order, ['subscribe', 'publish (pushes so far: 1)', 'history 1']);
      } finally {
        await t.close();
      }
    },
  );

  it('closes with 3002 on a command before connect, and 3007 without connect in time', async () => {
    const t = await ChannelTest.start({ connectTimeoutMs: 50 });
    try {
      const early = t.open();
      await assert.rejects(early.command('ping'));
      assert.equal((await early.closed).code, 3002);
      const silent = t.open();
      assert.equal((await silent.closed).code, 3007);
    } finally {
      await t.close();
    }
  });

  it('answers 111 past maxPendingCommands, and the rest still get their replies', async () => {
    const t = await ChannelTest.start({
      maxPendingCommands: 4,
      hooks: { onRpc: { slow: () => new Promise((r) => setTimeout(() => r('done'), 20)) } },
    });
    try {
      const c = await t.connect();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => c.command('rpc', { method: 'slow', data: null })),
      );
      const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as TestReplyError).code));
      assert.equal(codes.filter((c) => c === 'ok').length >= 4, true, codes.join());
      assert.ok(codes.includes(111), codes.join());
      assert.ok(
        codes.every((c) => c === 'ok' || c === 111),
        codes.join(),
      );
    } finally {
      await t.close();
    }
  });

  it('gives hooks a frozen context, never the session', async () => {
    let seen: SessionContext | undefined;
    const t = await ChannelTest.start({
      hooks: {
        onConnecting: () => ({ userId: 'ann', connInfo: { name: 'Ann' } }),
        onRpc: { who: (ctx) => ((seen = ctx), ctx.userId) },
      },
    });
    try {
      const c = await t.connect();
      assert.equal(await c.command('rpc', { method: 'who', data: null }), 'ann');
      assert.ok(seen && Object.isFrozen(seen));
      assert.deepEqual(Object.keys(seen).sort(), ['clientId', 'connInfo', 'transportName', 'userId']);
      assert.equal(seen.transportName, 'memory');
      assert.throws(() => ((seen as { userId: string }).userId = 'mallory'), TypeError);
    } finally {
      await t.close();
    }
  });

  it('replaces the identity on refresh, and asks for one (then closes with 3005) when credentials expire', async () => {
    const t = await ChannelTest.start({
      tokenGraceMs: 50,
      hooks: {
        onConnecting: () => ({ userId: 'u', expiresAt: Date.now() + 80 }),
        onRefresh: (_ctx, token) => ({ expiresAt: token === 'good' ? Date.now() + 60_000 : undefined }),
      },
    });
    try {
      const refreshed = await t.connect();
      await refreshed.expectPush((p) => p.push === 'refresh', 'refresh push');
      const { expiresAt } = await refreshed.command('refresh', { token: 'good' });
      assert.ok(expiresAt && expiresAt > Date.now() + 50_000);
      const lapsed = await t.connect();
      await lapsed.expectPush((p) => p.push === 'refresh', 'refresh push');
      assert.equal((await lapsed.closed).code, 3005);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await Promise.race([refreshed.closed.then(() => 'closed'), Promise.resolve('open')]), 'open');
    } finally {
      await t.close();
    }
  });

  it('drops a client that stops reading at the heartbeat, and frees its presence', async () => {
    const t = await ChannelTest.start({
      pingIntervalMs: 60,
      pongTimeoutMs: 30,
      namespaces: { room: { presence: true } },
    });
    try {
      const [frozen, watcher] = [await t.connect({ data: 'frozen' }), await t.connect()];
      await frozen.command('subscribe', { channel: 'room:1' });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(
        (await watcher.command('presence_stats', { channel: 'room:1' })).clients,
        1,
        'a reading client survives heartbeats',
      );
      frozen.link.pauseReading();
      // The server records 1006 (no closing handshake with a silent peer) and tells it 3012, best effort.
      const { code } = await frozen.closed;
      assert.equal(code, 3012);
      assert.equal((await watcher.command('presence_stats', { channel: 'room:1' })).clients, 0);
    } finally {
      await t.close();
    }
  });

  it('refuses what a connection may not do with 103, and keeps serving it', async () => {
    const t = await ChannelTest.start({
      namespaces: { chat: { allowPublish: true, history: { size: 5, ttlMs: 60_000 } } },
      hooks: { onConnecting: () => ({ userId: 'u', permissions: { subscribe: ['chat:mine'], publish: [] } }) },
    });
    try {
      const c = await t.connect();
      await assert.rejects(c.command('subscribe', { channel: 'chat:other' }), rejectsWith(103));
      await assert.rejects(c.command('publish', { channel: 'chat:mine', data: 1 }), rejectsWith(103));
      await assert.rejects(c.command('history', { channel: 'chat:other' }), rejectsWith(103));
      await c.command('subscribe', { channel: 'chat:mine' });
      await t.publish('chat:mine', 'from the backend');
      assert.equal((await c.expectPublication('chat:mine')).pub.data, 'from the backend');
    } finally {
      await t.close();
    }
  });
});
