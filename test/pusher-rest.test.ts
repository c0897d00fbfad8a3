// Pusher's HTTP API with the `pusher` 5 SDK as the oracle for request signing, and pusher-js as the subscriber.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Pusher from 'pusher-js';
import type { SwitchboardServer } from '@switchboard/server';
import {
  APP,
  collect,
  connected,
  nextEvent,
  pusherClient,
  sdk,
  startPusherNode,
  subscribed,
  until,
} from './helpers/pusher-peers.js';

/** A request signed as the SDK signs it, with any timestamp, key, secret or body: forged, stale and replayed ones. */
function signed(
  port: number,
  method: string,
  path: string,
  body: string | undefined,
  o: { timestamp?: number; key?: string; secret?: string; md5Of?: string } = {},
) {
  const params: Record<string, string> = {
    auth_key: o.key ?? APP.key,
    auth_timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  if (body !== undefined)
    params.body_md5 = createHash('md5')
      .update(o.md5Of ?? body)
      .digest('hex');
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', o.secret ?? APP.secret)
    .update(`${method}\n${path}\n${query}`)
    .digest('hex');
  return fetch(`http://127.0.0.1:${port}${path}?${query}&auth_signature=${signature}`, {
    method,
    body,
    headers: body ? { 'content-type': 'application/json' } : {},
  });
}

describe('Pusher REST API with the pusher SDK', () => {
  let server: SwitchboardServer;
  let port: number;
  const clients: Pusher[] = [];
  const client = (options?: Parameters<typeof pusherClient>[1]) => {
    const c = pusherClient(port, options);
    clients.push(c);
    return c;
  };
  before(async () => ({ server, port } = await startPusherNode()));
  after(async () => {
    for (const c of clients) c.disconnect();
    await server.close();
  });

  it('trigger to several channels, with socket_id excluding the sender and info counts', async () => {
    const a = client();
    const b = client();
    const socketA = await connected(a);
    const [{ channel: a1 }, { channel: b1 }, { channel: b2 }] = await Promise.all([
      subscribed(a, 'orders'),
      subscribed(b, 'orders'),
      subscribed(b, 'invoices'),
    ]);
    const seenByA = collect(a1, 'created');
    const gotB1 = nextEvent(b1, 'created');
    const gotB2 = nextEvent(b2, 'created');
    const res = await sdk(port).trigger(
      ['orders', 'invoices'],
      'created',
      { n: 1 },
      { socket_id: socketA, info: 'subscription_count' },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      channels: { orders: { subscription_count: 2 }, invoices: { subscription_count: 1 } },
    });
    assert.deepEqual(await gotB1, { n: 1 });
    assert.deepEqual(await gotB2, { n: 1 });
    await sleep(200);
    assert.deepEqual(seenByA, [], 'socket_id is excluded');
  });

  it('triggerBatch delivers each event; more than maxBatch is 400', async () => {
    const c = client();
    const { channel } = await subscribed(c, 'batched');
    const seen = collect(channel, 'item');
    const res = await sdk(port).triggerBatch([
      { channel: 'batched', name: 'item', data: '1' },
      { channel: 'batched', name: 'item', data: '2' },
    ]);
    assert.equal(res.status, 200);
    await until(() => seen.length === 2, 5000, 'two batched events');
    assert.deepEqual(seen, [1, 2]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ channel: 'batched', name: 'item', data: String(i) }));
    await assert.rejects(sdk(port).triggerBatch(tooMany), (e: { status?: number }) => e.status === 400);
  });

  it('GET /channels with filter_by_prefix and info, /channels/{name}, /channels/{name}/users', async () => {
    const u1 = client({ user: { user_id: 'u1' } });
    const u2 = client({ user: { user_id: 'u2' } });
    const u2b = client({ user: { user_id: 'u2' } });
    await Promise.all([
      subscribed(u1, 'presence-lobby'),
      subscribed(u2, 'presence-lobby'),
      subscribed(u2b, 'presence-lobby'),
      subscribed(u1, 'private-x'),
    ]);
    const list = await (
      await sdk(port).get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })
    ).json();
    assert.deepEqual(list, { channels: { 'presence-lobby': { user_count: 2 } } });
    const all = (await (await sdk(port).get({ path: '/channels' })).json()) as { channels: Record<string, unknown> };
    assert.ok('private-x' in all.channels && 'presence-lobby' in all.channels);
    const one = await (
      await sdk(port).get({ path: '/channels/presence-lobby', params: { info: 'user_count,subscription_count' } })
    ).json();
    assert.deepEqual(one, { occupied: true, subscription_count: 3, user_count: 2 });
    const empty = await (await sdk(port).get({ path: '/channels/nobody-here' })).json();
    assert.deepEqual(empty, { occupied: false });
    const users = (await (await sdk(port).get({ path: '/channels/presence-lobby/users' })).json()) as {
      users: { id: string }[];
    };
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['u1', 'u2']);
    await assert.rejects(
      sdk(port).get({ path: '/channels', params: { info: 'user_count' } }),
      (e: { status?: number }) => e.status === 400,
    );
  });

  it('signin, sendToUser and terminateUserConnections', async () => {
    const c = client({ signin: { id: 'erin' } });
    await connected(c);
    c.signin();
    const user = c.user as unknown as {
      signinDonePromise: Promise<void>;
      user_data: { id: string } | null;
      serverToUserChannel: { subscribed: boolean } | null;
    };
    await user.signinDonePromise;
    assert.equal(user.user_data?.id, 'erin');
    const got = new Promise((resolve) => c.user.bind('note', resolve));
    // pusher-js subscribes to #server-to-user-erin after the sign-in.
    await until(() => user.serverToUserChannel?.subscribed === true, 5000, 'the user channel');
    await sdk(port).sendToUser('erin', 'note', { hi: 1 });
    assert.deepEqual(await got, { hi: 1 });
    const states: string[] = [];
    c.connection.bind('state_change', (s: { current: string }) => states.push(s.current));
    await sdk(port).terminateUserConnections('erin');
    await until(
      () => states.includes('disconnected') || states.includes('failed') || states.includes('unavailable'),
      5000,
      'terminated',
    );
  });

  it('forged, stale and tampered signatures get 401; a good one 200', async () => {
    const path = `/apps/${APP.id}/events`;
    const body = JSON.stringify({ name: 'e', channels: ['sig'], data: '{}' });
    assert.equal((await signed(port, 'POST', path, body)).status, 200);
    assert.equal((await signed(port, 'POST', path, body, { secret: 'wrong-secret-0000000' })).status, 401, 'forged');
    assert.equal((await signed(port, 'POST', path, body, { key: 'other-key' })).status, 401, 'unknown key');
    assert.equal(
      (await signed(port, 'POST', path, body, { timestamp: Math.floor(Date.now() / 1000) - 601 })).status,
      401,
      'stale',
    );
    assert.equal(
      (await signed(port, 'POST', path, body, { timestamp: Math.floor(Date.now() / 1000) + 601 })).status,
      401,
      'from the future',
    );
    assert.equal(
      (await signed(port, 'POST', path, body.replace('"e"', '"f"'), { md5Of: body })).status,
      401,
      'body replaced under a replayed signature',
    );
    assert.equal((await signed(port, 'GET', `/apps/${APP.id}/channels`, undefined)).status, 200);
  });

  it('413 for data over maxEventBytes, 400 for over 100 channels, 404 for an unknown app', async () => {
    await assert.rejects(
      sdk(port).trigger('big', 'e', 'x'.repeat(10_241)),
      (e: { status?: number }) => e.status === 413,
    );
    const channels = Array.from({ length: 101 }, (_, i) => `c${i}`);
    const path = `/apps/${APP.id}/events`;
    assert.equal((await signed(port, 'POST', path, JSON.stringify({ name: 'e', channels, data: '{}' }))).status, 400);
    assert.equal((await signed(port, 'GET', '/apps/nope/channels', undefined)).status, 404);
  });
});
