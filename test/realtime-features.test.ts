// Presence (with a killed client process), idempotent publish, RPC, user-directed messages and namespace rules, over
// real sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, DisconnectError } from '@switchboard/server';
import { TestReplyError, startTestServer, type TestServer } from '@switchboard/testing';
import type { ClientInfo, Push, SubscribeResult } from '@switchboard/wire';

const rejectsWith = (code: number) => (e: unknown) => e instanceof TestReplyError && e.code === code;
const isPush = (kind: string, clientId: string) => (p: Push) =>
  (p.push === 'join' || p.push === 'leave') && p.push === kind && p.info.clientId === clientId;

describe('real-time features', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      allowAnonymous: false,
      personalNamespace: 'user',
      rpcTimeoutMs: 300,
      namespaces: {
        chat: { history: { size: 100, ttlMs: 60_000 }, presence: true, joinLeave: true, allowPublish: true },
        news: { history: { size: 10, ttlMs: 60_000 } },
        big: { presence: true, presenceMode: 'counts' },
        vip: { allowSubscribe: 'token' },
        tiny: { maxSubscribers: 2 },
        user: { history: { size: 10, ttlMs: 60_000 } },
      },
      hooks: {
        // Tests authenticate with the token "user:<id>".
        onConnecting: (ctx) => {
          if (!ctx.token?.startsWith('user:')) throw new DisconnectError(3500, 'invalid token');
          return { userId: ctx.token.slice(5), connInfo: { name: `name-${ctx.token.slice(5)}` } };
        },
        onSubscribe: (_ctx, sub) => {
          if (sub.channel.startsWith('vip:') && sub.token !== 'let-me-in')
            throw new CommandError(403, 'wrong subscribe token');
        },
        onRpc: {
          add: (_ctx, data) => (data as number[]).reduce((a, b) => a + b, 0),
          whoami: (ctx) => ({ user: ctx.userId, transport: ctx.transportName }),
          slow: () => sleep(2000),
          fail: () => {
            throw new CommandError(450, 'the application said no');
          },
        },
      },
    });
  });
  after(() => t.close());

  it('tracks presence with join/leave, and frees the entry of a client whose process is killed', async () => {
    const alice = await t.client({ token: 'user:alice', subs: { 'chat:p': {} } });
    const child = spawn(
      process.execPath,
      [
        '--conditions=@switchboard/source',
        '--import',
        'tsx',
        'test/fixtures/realtime-child-client.ts',
        t.url,
        'chat:p',
        'user:bob',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const bobId = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /READY (\S+)/.exec(d.toString());
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error('child exited early')));
    });
    const join = (await alice.expectPush(isPush('join', bobId), 'join of bob')) as { info: ClientInfo };
    assert.deepEqual(join.info, { clientId: bobId, userId: 'bob', connInfo: { name: 'name-bob' } });
    const listed = (await alice.command('presence', { channel: 'chat:p' })) as { clients: ClientInfo[] };
    assert.deepEqual(listed.clients.map((c) => c.userId).sort(), ['alice', 'bob']);
    assert.deepEqual(await alice.command('presence_stats', { channel: 'chat:p' }), { clients: 2, users: 2 });

    child.kill('SIGKILL');
    await alice.expectPush(isPush('leave', bobId), 'leave of the killed bob');
    const after = (await alice.command('presence', { channel: 'chat:p' })) as { clients: ClientInfo[] };
    assert.deepEqual(
      after.clients.map((c) => c.userId),
      ['alice'],
    );
    await alice.close();
  });

  it('offers counts-only presence for large rooms', async () => {
    const a = await t.client({ token: 'user:a', subs: { 'big:hall': {} } });
    const b = await t.client({ token: 'user:a', subs: { 'big:hall': {} } });
    assert.deepEqual(await a.command('presence_stats', { channel: 'big:hall' }), { clients: 2, users: 1 });
    await assert.rejects(a.command('presence', { channel: 'big:hall' }), rejectsWith(108));
    await assert.rejects(a.command('presence', { channel: 'news:x' }), rejectsWith(108));
    await Promise.all([a.close(), b.close()]);
  });

  it('publishes idempotently: concurrent retries with one key deliver once and answer alike', async () => {
    const pub = await t.client({ token: 'user:p', subs: { 'chat:idem': {} } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        pub.command('publish', { channel: 'chat:idem', data: 'once', idempotencyKey: 'k-1' }),
      ),
    );
    const api = await Promise.all(
      Array.from({ length: 5 }, () => t.api('publish', { channel: 'chat:idem', data: 'once', idempotencyKey: 'k-1' })),
    );
    const all = [...results, ...api.map((r) => r.body)];
    assert.ok(
      all.every((r) => JSON.stringify(r) === JSON.stringify(results[0])),
      JSON.stringify(all),
    );
    await t.api('publish', { channel: 'chat:idem', data: 'marker' });
    await pub.expectPublication('chat:idem', 'marker');
    assert.deepEqual(
      pub.publications('chat:idem').map((p) => p.data),
      ['once', 'marker'],
    );
    await pub.close();
  });

  it('round-trips RPC, with application errors, unknown methods and a timeout', async () => {
    const c = await t.client({ token: 'user:r' });
    assert.equal(await c.command('rpc', { method: 'add', data: [1, 2, 39] }), 42);
    assert.deepEqual(await c.command('rpc', { method: 'whoami', data: null }), { user: 'r', transport: 'websocket' });
    await assert.rejects(c.command('rpc', { method: 'fail', data: null }), rejectsWith(450));
    await assert.rejects(c.command('rpc', { method: 'nope', data: null }), rejectsWith(104));
    await assert.rejects(c.command('rpc', { method: 'toString', data: null }), rejectsWith(104));
    const started = Date.now();
    await assert.rejects(
      c.command('rpc', { method: 'slow', data: null }),
      (e: unknown) => e instanceof TestReplyError && e.code === 114 && e.error.temporary === true,
    );
    assert.ok(Date.now() - started < 1500);
    assert.deepEqual(await c.command('ping'), {}, 'the connection still answers');
    await c.close();
  });

  it('reaches every connection of a user: personal channel publications and messages', async () => {
    const conns = await Promise.all([1, 2, 3].map(() => t.client({ token: 'user:42' })));
    const other = await t.client({ token: 'user:7' });
    for (const c of conns)
      assert.ok('position' in (c.connected!.subs['user:#42'] as SubscribeResult), 'subscribed server-side at connect');
    const { status } = await t.api('publish', { channel: 'user:#42', data: { note: 'for 42' } });
    assert.equal(status, 200);
    await Promise.all(conns.map((c) => c.expectPublication('user:#42', { note: 'for 42' })));
    await t.api('send', { user: '42', data: 'direct' });
    await Promise.all(conns.map((c) => c.expectPush((p) => p.push === 'message' && p.data === 'direct')));
    await assert.rejects(other.command('subscribe', { channel: 'user:#42' }), rejectsWith(103));
    await sleep(50);
    assert.equal(other.pushes.length, 0, 'user 7 got nothing');
    await Promise.all([...conns, other].map((c) => c.close()));
  });

  it('enforces namespace rules with documented codes', async () => {
    const c = await t.client({ token: 'user:n' });
    await assert.rejects(c.command('subscribe', { channel: 'nowhere:x' }), rejectsWith(102));
    await assert.rejects(c.command('subscribe', { channel: 'bad name' }), rejectsWith(107));
    await assert.rejects(c.command('publish', { channel: 'news:x', data: 1 }), rejectsWith(103));
    await assert.rejects(c.command('subscribe', { channel: 'vip:lounge' }), rejectsWith(103));
    await assert.rejects(c.command('subscribe', { channel: 'vip:lounge', token: 'guess' }), rejectsWith(403));
    await c.command('subscribe', { channel: 'vip:lounge', token: 'let-me-in' });
    await c.command('subscribe', { channel: 'news:x' });
    await assert.rejects(c.command('subscribe', { channel: 'news:x' }), rejectsWith(105));
    await assert.rejects(c.command('history', { channel: 'tiny:x' }), rejectsWith(108));
    const d = await t.client({ token: 'user:d', subs: { 'tiny:room': {} } });
    const e = await t.client({ token: 'user:e', subs: { 'tiny:room': {} } });
    await assert.rejects(c.command('subscribe', { channel: 'tiny:room' }), rejectsWith(106));
    await Promise.all([c.close(), d.close(), e.close()]);
  });

  it('refuses a bad token with the terminal disconnect code', async () => {
    const { TestClient } = await import('@switchboard/testing');
    const c = await TestClient.open(t.url);
    c.raw(JSON.stringify({ id: 1, method: 'connect', params: { token: 'forged' } }));
    assert.deepEqual(await c.closed, { code: 3500, reason: 'invalid token' });
  });
});
