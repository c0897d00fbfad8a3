// The HTTP API for backends: every endpoint with the key, and refused without it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@switchboard/testing';

const ENDPOINTS = [
  'publish',
  'broadcast',
  'history',
  'history_remove',
  'presence',
  'presence_stats',
  'channels',
  'disconnect',
  'unsubscribe',
  'send',
  'info',
  'subscribe',
  'refresh',
  'batch',
];

describe('server HTTP API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      namespaces: {
        chat: { history: { size: 10, ttlMs: 60_000 }, presence: true },
        plain: {},
      },
      hooks: { onConnecting: (ctx) => ({ userId: ctx.token ?? 'anon' }) },
    });
  });
  after(() => t.close());

  it('answers 401 to every endpoint without a key or with a wrong one', async () => {
    for (const endpoint of ENDPOINTS) {
      const missing = await t.api(endpoint, {}, null);
      const wrong = await t.api(endpoint, {}, 'wrong-key-wrong-key-wrong');
      assert.deepEqual([missing.status, wrong.status, missing.body.error.code], [401, 401, 101], endpoint);
    }
  });

  it('GET /health answers 200 without a key', async () => {
    const res = await fetch(`${t.httpUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
  });

  it('publish → {offset, epoch}, delivered to a subscriber; broadcast to many channels', async () => {
    const c = await t.client({ token: 'u1', subs: { 'chat:a': {}, 'chat:b': {} } });
    const one = await t.api('publish', { channel: 'chat:a', data: { x: 1 } });
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.body).sort(), ['epoch', 'offset']);
    assert.equal(one.body.offset, 1);
    await c.expectPublication('chat:a', { x: 1 });
    const many = await t.api('broadcast', { channels: ['chat:a', 'chat:b', 'nowhere:x'], data: 'all' });
    assert.equal(many.status, 200);
    assert.deepEqual(
      many.body.results.map((r: { offset?: number; error?: { code: number } }) => r.offset ?? r.error!.code),
      [2, 1, 102],
    );
    await c.expectPublication('chat:b', 'all');
    await c.close();
  });

  it('history, history_remove, presence, presence_stats, channels, info', async () => {
    const c = await t.client({ token: 'u2', subs: { 'chat:h': {} } });
    for (const n of [1, 2, 3]) await t.api('publish', { channel: 'chat:h', data: n });
    const history = await t.api('history', { channel: 'chat:h', limit: 2, reverse: true });
    assert.deepEqual(
      history.body.publications.map((p: { data: number }) => p.data),
      [3, 2],
    );
    assert.equal(history.body.position.offset, 3);
    assert.equal((await t.api('history', { channel: 'chat:h', since: { offset: 1, epoch: 'other' } })).status, 409);
    assert.equal((await t.api('history_remove', { channel: 'chat:h' })).status, 200);
    assert.equal((await t.api('history', { channel: 'chat:h' })).body.publications.length, 0);
    const presence = await t.api('presence', { channel: 'chat:h' });
    assert.deepEqual(
      presence.body.clients.map((e: { userId: string }) => e.userId),
      ['u2'],
    );
    assert.deepEqual((await t.api('presence_stats', { channel: 'chat:h' })).body, { clients: 1, users: 1 });
    assert.equal((await t.api('presence', { channel: 'plain:x' })).body.error.code, 108);
    const channels = await t.api('channels');
    assert.deepEqual(channels.body.channels['chat:h'], { subscribers: 1 });
    const info = await t.api('info');
    assert.equal(info.body.nodes.length, 1);
    assert.equal(info.body.nodes[0].connections, 1);
    await c.close();
  });

  it('unsubscribe, send and disconnect reach the user’s connections', async () => {
    const c = await t.client({ token: 'u3', subs: { 'chat:u': {} } });
    assert.equal((await t.api('unsubscribe', { user: 'u3', channel: 'chat:u' })).status, 200);
    await c.expectPush((p) => p.push === 'unsubscribe' && p.channel === 'chat:u');
    assert.equal((await t.api('send', { user: 'u3', data: { hello: true } })).status, 200);
    await c.expectPush((p) => p.push === 'message');
    assert.equal((await t.api('disconnect', { user: 'u3', code: 4501, reason: 'banned' })).status, 200);
    assert.deepEqual(await c.closed, { code: 4501, reason: 'banned' });
  });

  it('disconnect carries a reconnect-after window in the close reason, and refuses a bad one', async () => {
    const c = await t.client({ token: 'u4' });
    assert.equal(
      (await t.api('disconnect', { user: 'u4', code: 3401, reason: 'draining', reconnectAfterMs: 2000 })).status,
      200,
    );
    assert.deepEqual(await c.closed, { code: 3401, reason: 'draining; reconnect-after=2000-4000' });
    for (const body of [
      { user: 'u4', reconnectAfterMs: 5000, reconnectUntilMs: 1000 },
      { user: 'u4', reconnectUntilMs: 1000 },
      { user: 'u4', reconnectAfterMs: -1 },
      { user: 'u4', reason: 'x'.repeat(100), reconnectAfterMs: 1000 },
    ]) {
      const r = await t.api('disconnect', body);
      assert.deepEqual([r.status, r.body.error.code], [400, 107], JSON.stringify(body));
    }
  });

  it('answers bad requests with documented statuses', async () => {
    const post = (path: string, body: string, method = 'POST') =>
      fetch(`${t.httpUrl}${path}`, {
        method,
        headers: { authorization: 'apikey test-api-key-0123456789' },
        body: method === 'GET' ? undefined : body,
      });
    assert.equal((await post('/api/publish', '{not json')).status, 400);
    assert.equal((await post('/api/publish', '[1]')).status, 400);
    assert.equal((await post('/api/publish', '{"data":1}')).status, 400);
    assert.equal((await post('/api/publish', '{"channel":"nowhere:x","data":1}')).status, 400);
    assert.equal((await post('/api/explode', '{}')).status, 404);
    assert.equal((await post('/api/publish', '', 'GET')).status, 405);
    assert.equal(
      (await post('/api/publish', JSON.stringify({ channel: 'chat:a', data: 'x'.repeat(2 * 1024 * 1024) }))).status,
      413,
    );
    assert.equal((await fetch(`${t.httpUrl}/elsewhere`)).status, 404);
  });
});
