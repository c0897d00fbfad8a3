// pusher_internal:subscription_count with pusher-js on two nodes sharing a real Redis: the count is cluster-wide,
// reaches subscribers on both nodes, follows leaves, is never sent on presence channels, and is off by default.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Pusher from 'pusher-js';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { APP, OTHER_APP, collect, nextEvent, pusherClient, subscribed, until } from './helpers/pusher-peers.js';

describe('pusher_internal:subscription_count on two nodes (Redis)', { timeout: 60_000 }, () => {
  const prefix = `pusher-count:${process.pid}:${Date.now()}:`;
  const servers: SwitchboardServer[] = [];
  const ports: number[] = [];
  const clients: Pusher[] = [];
  const client = (port: number, options: Parameters<typeof pusherClient>[1] = {}) => {
    const c = pusherClient(port, options);
    clients.push(c);
    return c;
  };

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const server = createServer({
        engine: redisEngine({ prefix }),
        pusher: { apps: [{ ...APP, subscriptionCount: true }, OTHER_APP] },
      });
      servers.push(server);
      ports.push((await server.listen(0)).port);
    }
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('subscribers on both nodes get the cluster-wide count on joins and leaves', async () => {
    const a = client(ports[0]);
    const { channel: onA } = await subscribed(a, 'counted');
    const first = (await nextEvent(onA, 'pusher:subscription_count')) as { subscription_count: number };
    assert.deepEqual(first, { subscription_count: 1 });
    const seenA = collect(onA, 'pusher:subscription_count') as { subscription_count: number }[];

    const b = client(ports[1]);
    const c = client(ports[1]);
    const { channel: onB } = await subscribed(b, 'counted');
    const seenB = collect(onB, 'pusher:subscription_count') as { subscription_count: number }[];
    await subscribed(c, 'private-counted-other');
    await subscribed(c, 'counted');
    await until(() => seenA.at(-1)?.subscription_count === 3, 5000, 'node A to see 3');
    await until(() => seenB.at(-1)?.subscription_count === 3, 5000, 'node B to see 3');
    assert.equal((onA as unknown as { subscriptionCount: number }).subscriptionCount, 3, "pusher-js's field");

    c.unsubscribe('counted');
    await until(() => seenA.at(-1)?.subscription_count === 2, 5000, 'node A to see the leave');
    b.disconnect();
    await until(() => seenA.at(-1)?.subscription_count === 1, 5000, 'node A to see the disconnect');
  });

  it('a private channel is counted; a presence channel never gets subscription_count', async () => {
    const a = client(ports[0], { user: { user_id: 'u1' } });
    const { channel: priv } = await subscribed(a, 'private-counted');
    assert.deepEqual(await nextEvent(priv, 'pusher:subscription_count'), { subscription_count: 1 });
    const { channel: pres } = await subscribed(a, 'presence-counted');
    const seen = collect(pres, 'pusher:subscription_count');
    await subscribed(client(ports[1], { user: { user_id: 'u2' } }), 'presence-counted');
    await sleep(1500);
    assert.deepEqual(seen, []);
  });

  it('an app without subscriptionCount (the default) sends none', async () => {
    const a = client(ports[0], { app: OTHER_APP });
    const { channel } = await subscribed(a, 'quiet');
    const seen = collect(channel, 'pusher:subscription_count');
    await subscribed(client(ports[1], { app: OTHER_APP }), 'quiet');
    await sleep(1500);
    assert.deepEqual(seen, []);
  });
});
