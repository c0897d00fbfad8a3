// Cache and end-to-end encrypted channels, client-event rules and rate, and every Pusher close code, with pusher-js and
// raw peers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Pusher from 'pusher-js';
import type { SwitchboardServer } from '@switchboard/server';
import {
  APP,
  OTHER_APP,
  connected,
  nextEvent,
  pusherClient,
  rawPusher,
  sdk,
  startPusherNode,
  subscribed,
} from './helpers/pusher-peers.js';
import { createHmac } from 'node:crypto';

const WS_PATH = (key: string) => `/app/${key}?protocol=7&client=js&version=8.6.0&flash=false`;
const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

describe('Pusher channels, client events and close codes', () => {
  let server: SwitchboardServer;
  let port: number;
  const clients: Pusher[] = [];
  const client = (options?: Parameters<typeof pusherClient>[1]) => {
    const c = pusherClient(port, options);
    clients.push(c);
    return c;
  };
  before(async () => ({ server, port } = await startPusherNode({ pingIntervalMs: 1000, pongTimeoutMs: 500 })));
  after(async () => {
    for (const c of clients) c.disconnect();
    await server.close();
  });

  it('cache channel: a new subscriber gets the last event; an empty one gets pusher:cache_miss', async () => {
    await sdk(port).trigger('cache-prices', 'tick', { price: 1 });
    await sdk(port).trigger('cache-prices', 'tick', { price: 2 });
    const c = client();
    const channel = c.subscribe('cache-prices');
    assert.deepEqual(await nextEvent(channel, 'tick'), { price: 2 });
    const empty = c.subscribe('private-cache-empty');
    await nextEvent(empty, 'pusher:cache_miss');
  });

  it('private-encrypted: the SDK encrypts, the server passes it through, pusher-js decrypts', async () => {
    const c = client();
    const { channel } = await subscribed(c, 'private-encrypted-vault');
    const got = nextEvent(channel, 'secret');
    await sdk(port).trigger('private-encrypted-vault', 'secret', { code: 42 });
    assert.deepEqual(await got, { code: 42 });
  });

  it('client events: refused from a non-member, on public and encrypted channels; 4301 over the rate', async () => {
    const peer = await rawPusher(port, WS_PATH(APP.key));
    const { data } = await peer.next('pusher:connection_established');
    const socketId = (data as { socket_id: string }).socket_id;
    peer.send({ event: 'client-x', channel: 'private-room', data: {} });
    assert.match(((await peer.next('pusher:error')).data as { message: string }).message, /not subscribed/);
    for (const channel of ['private-room', 'private-encrypted-room'])
      peer.send({
        event: 'pusher:subscribe',
        data: { channel, auth: `${APP.key}:${sign(APP.secret, `${socketId}:${channel}`)}` },
      });
    peer.send({ event: 'pusher:subscribe', data: { channel: 'public-room' } });
    for (let i = 0; i < 3; i++) await peer.next('pusher_internal:subscription_succeeded');
    for (const channel of ['public-room', 'private-encrypted-room']) {
      peer.send({ event: 'client-x', channel, data: {} });
      assert.match(((await peer.next('pusher:error')).data as { message: string }).message, /private and presence/);
    }
    for (let i = 0; i < 12; i++) peer.send({ event: 'client-x', channel: 'private-room', data: { i } });
    assert.equal(((await peer.next('pusher:error')).data as { code: number }).code, 4301);
    peer.ws.close();
  });

  it('client events are off unless the app enables them', async () => {
    const c = client({ app: OTHER_APP });
    const { channel } = await subscribed(c, 'private-quiet');
    const errors: unknown[] = [];
    c.connection.bind('error', (e: unknown) => errors.push(e));
    channel.trigger('client-x', {});
    await sleep(300);
    assert.match(JSON.stringify(errors), /not enabled/);
  });

  it(
    '4001 unknown app, 4008 no protocol version, 4007 unsupported version: pusher:error, then the close; ' +
      'protocol 6 is served',
    async () => {
      for (const [path, code] of [
        [WS_PATH('no-such-key'), 4001],
        ['/app/app1-key', 4008],
        ['/app/app1-key?protocol=99', 4007],
      ] as const) {
        const peer = await rawPusher(port, path);
        assert.equal(await peer.closed, code, path);
        assert.equal((peer.frames[0].data as { code: number }).code, code);
      }
      // Protocol 6 (older clients such as pysher) is served like 7.
      const older = await rawPusher(port, '/app/app1-key?protocol=6&client=Pysher');
      await older.next('pusher:connection_established');
      older.ws.close();
    },
  );

  it('4009 for a forged sign-in', async () => {
    const peer = await rawPusher(port, WS_PATH(APP.key));
    const { data } = await peer.next('pusher:connection_established');
    const userData = JSON.stringify({ id: 'mallory' });
    peer.send({
      event: 'pusher:signin',
      data: {
        user_data: userData,
        auth: `${APP.key}:${sign('not-the-secret', `${(data as { socket_id: string }).socket_id}::user::${userData}`)}`,
      },
    });
    assert.equal(await peer.closed, 4009);
  });

  it('pusher:ping is answered with pusher:pong; a peer that answers no ping is closed with 4201', async () => {
    const peer = await rawPusher(port, WS_PATH(APP.key), { autoPong: false });
    await peer.next('pusher:connection_established');
    peer.send({ event: 'pusher:ping', data: {} });
    await peer.next('pusher:pong');
    assert.equal(await peer.closed, 4201);
  });
});

describe('Pusher quotas and drains', () => {
  it('4004 over the app quota, 4100 over the node capacity, 4200 on a drain', async () => {
    const { server, port } = await startPusherNode({ maxConnections: 2 });
    const limited = await startPusherNode({ pusher: { apps: [{ ...APP, maxConnections: 1 }] } });
    try {
      const first = await rawPusher(limited.port, WS_PATH(APP.key));
      await first.next('pusher:connection_established');
      const second = await rawPusher(limited.port, WS_PATH(APP.key));
      assert.equal(await second.closed, 4004);
      first.ws.close();

      const a = pusherClient(port);
      const b = pusherClient(port);
      await Promise.all([connected(a), connected(b)]);
      const third = await rawPusher(port, WS_PATH(APP.key));
      assert.equal(await third.closed, 4100);
      // pusher-js would reconnect at once after a 4200, into the drain: only a raw peer sees it.
      a.disconnect();
      b.disconnect();
      await sleep(200);
      const peer = await rawPusher(port, WS_PATH(APP.key));
      await peer.next('pusher:connection_established');
      void server.drain({ batchSize: 10, intervalMs: 0, reconnectWindowMs: 0 });
      assert.equal(await peer.closed, 4200);
    } finally {
      await server.close();
      await limited.server.close();
    }
  });
});

describe('Pusher presence limits', () => {
  it(
    'maxPresenceMembers counts users across tabs: ' + 'a new user past it gets subscription_error LimitReached',
    async () => {
      const { server, port } = await startPusherNode({ pusher: { apps: [{ ...APP, maxPresenceMembers: 2 }] } });
      const clients = ['a', 'b', 'b', 'c'].map((id) => pusherClient(port, { user: { user_id: id } }));
      try {
        for (const c of clients.slice(0, 3)) await subscribed(c, 'presence-small');
        await assert.rejects(
          subscribed(clients[3], 'presence-small'),
          (e: { data?: { type?: string } }) => e.data?.type === 'LimitReached',
        );
      } finally {
        for (const c of clients) c.disconnect();
        await server.close();
      }
    },
  );
});
