// The Pusher protocol over real sockets, with pusher-js 8 as the client and the `pusher` SDK as the backend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Pusher from 'pusher-js';
import type { SwitchboardServer } from '@switchboard/server';
import {
  APP,
  OTHER_APP,
  collect,
  connected,
  nextEvent,
  pusherClient,
  sdk,
  startPusherNode,
  subscribed,
  until,
} from './helpers/pusher-peers.js';

describe('Pusher protocol with pusher-js', () => {
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

  it('connection_established gives a socket_id of the form \\d+.\\d+', async () => {
    const socketId = await connected(client());
    assert.match(socketId, /^\d+\.\d+$/);
  });

  it('public channel: a REST trigger reaches the subscriber, data as sent', async () => {
    const c = client();
    const { channel } = await subscribed(c, 'news');
    const got = nextEvent(channel, 'headline');
    await sdk(port).trigger('news', 'headline', { title: 'hello' });
    assert.deepEqual(await got, { title: 'hello' });
  });

  it('private channel: authorized by the SDK signature; a forged one gets subscription_error 401', async () => {
    const c = client();
    const { channel } = await subscribed(c, 'private-orders');
    const got = nextEvent(channel, 'created');
    await sdk(port).trigger('private-orders', 'created', { id: 7 });
    assert.deepEqual(await got, { id: 7 });

    const forged = pusherClient(port, { app: { ...APP, secret: 'not-the-secret-000000' } });
    clients.push(forged);
    await assert.rejects(
      subscribed(forged, 'private-orders'),
      (e: { data?: { status?: number } }) => e.data?.status === 401,
    );
  });

  it('presence: member list, member_added and member_removed once per user (two tabs of one user)', async () => {
    const alice = client({ user: { user_id: 'alice', user_info: { name: 'Alice' } } });
    const { channel, data } = await subscribed(alice, 'presence-room');
    assert.equal((data as { count: number }).count, 1);
    const added = collect(channel, 'pusher:member_added');
    const removed = collect(channel, 'pusher:member_removed');
    const bobTab1 = client({ user: { user_id: 'bob', user_info: { name: 'Bob' } } });
    await subscribed(bobTab1, 'presence-room');
    const bobTab2 = client({ user: { user_id: 'bob', user_info: { name: 'Bob' } } });
    const second = await subscribed(bobTab2, 'presence-room');
    assert.equal((second.data as { count: number }).count, 2);
    await until(() => added.length >= 1, 5000, 'member_added');
    await sleep(200);
    assert.deepEqual(added, [{ id: 'bob', info: { name: 'Bob' } }]);
    bobTab1.disconnect();
    await sleep(300);
    assert.equal(removed.length, 0, 'bob still has a tab');
    bobTab2.disconnect();
    await until(() => removed.length === 1, 5000, 'member_removed');
    assert.deepEqual(removed, [{ id: 'bob', info: { name: 'Bob' } }]);
    assert.equal((channel as unknown as { members: { count: number } }).members.count, 1);
  });

  it('apps are isolated: the same channel name in two apps is two channels', async () => {
    const a = client();
    const b = client({ app: OTHER_APP });
    const { channel: inA } = await subscribed(a, 'shared');
    const { channel: inB } = await subscribed(b, 'shared');
    const seenInA = collect(inA, 'ping');
    const gotB = nextEvent(inB, 'ping');
    await sdk(port, OTHER_APP).trigger('shared', 'ping', 'only-b');
    assert.equal(await gotB, 'only-b');
    await sleep(200);
    assert.deepEqual(seenInA, []);
  });

  it(
    'client events: on private channels, not echoed to the sender, ' + 'user_id on presence; refused on public ones',
    async () => {
      const sender = client({ user: { user_id: 'carol' } });
      const receiver = client({ user: { user_id: 'dave' } });
      const { channel: mine } = await subscribed(sender, 'presence-chat');
      const { channel: theirs } = await subscribed(receiver, 'presence-chat');
      const echoed = collect(mine, 'client-typing');
      const got = new Promise<{ data: unknown; meta: unknown }>((resolve) =>
        theirs.bind('client-typing', (data: unknown, meta: unknown) => resolve({ data, meta })),
      );
      assert.equal(mine.trigger('client-typing', { typing: true }), true);
      const { data, meta } = await got;
      assert.deepEqual(data, { typing: true });
      assert.deepEqual(meta, { user_id: 'carol' });
      await sleep(200);
      assert.deepEqual(echoed, []);

      const { channel: pub } = await subscribed(sender, 'lobby');
      const errors: unknown[] = [];
      sender.connection.bind('error', (e: unknown) => errors.push(e));
      pub.trigger('client-hi', {});
      await until(() => errors.length > 0, 5000, 'pusher:error');
    },
  );
});
