// Three `serve` nodes on Redis, then on NATS, speaking Pusher, behind a round-robin TCP balancer: one is SIGKILLed;
// pusher-js reconnects through the balancer, resubscribes, and presence and REST counts converge.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type Pusher from 'pusher-js';
import { startNodes, stopNodes, type Backplane, type Node } from './helpers/cluster.js';
import { APP, collect, nextEvent, pusherClient, sdk, subscribed, until } from './helpers/pusher-peers.js';

const BACKPLANES: [string, Backplane][] = [
  ['Redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['NATS', { nats: ['nats://127.0.0.1:4222'] }],
];
const portOf = (node: Node) => Number(new URL(node.base).port);

/** A TCP balancer: each connection goes to the next live node; a node's end ends the client's too. */
function balancer(nodes: () => Node[]): Promise<{ server: Server; port: number }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const live = nodes().filter((n) => n.child.exitCode === null && n.child.signalCode === null);
    const target = live[next++ % live.length];
    const upstream = connect(portOf(target), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {}).on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

for (const [broker, backplane] of BACKPLANES)
  describe(`Pusher on 3 nodes (${broker}), one SIGKILLed`, { timeout: 120_000 }, () => {
    let nodes: Node[];
    let lb: { server: Server; port: number };
    const clients: Pusher[] = [];
    before(async () => {
      nodes = await startNodes(3, backplane, {
        pusher: { apps: [{ ...APP, clientEvents: true }] },
        presenceTtlMs: 3000,
      });
      lb = await balancer(() => nodes);
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      lb.server.close();
      await stopNodes(nodes);
    });

    it('pusher-js reconnects, presence converges, events flow from any node', async () => {
      // Observer on node 0 (never killed); six users through the balancer (two nodes each), u0 with a second tab.
      const observer = pusherClient(portOf(nodes[0]), { user: { user_id: 'observer' } });
      clients.push(observer);
      const { channel: watch } = await subscribed(observer, 'presence-ops');
      const added = collect(watch, 'pusher:member_added');
      const removed = collect(watch, 'pusher:member_removed');
      const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u0'].map((id) => {
        const c = pusherClient(lb.port, { user: { user_id: id } });
        clients.push(c);
        return c;
      });
      await Promise.all(users.map((c) => subscribed(c, 'presence-ops')));
      await until(
        () => (watch as unknown as { members: { count: number } }).members.count === 7,
        10_000,
        'seven members',
      );
      assert.equal(added.length, 6, 'one member_added per user, u0 counted once');

      const victim = nodes[2];
      const states = users.map(() => [] as string[]);
      users.forEach((c, i) => c.connection.bind('state_change', (s: { current: string }) => states[i].push(s.current)));
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      const onVictim = () => states.filter((s) => s.length > 0).length;
      await until(() => onVictim() > 0, 10_000, 'clients of the killed node to notice');
      const dropped = onVictim();
      await until(() => users.every((c) => c.connection.state === 'connected'), 30_000, 'every client reconnected');
      const reconnectedMs = Date.now() - killedAt;
      await until(
        () => users.every((c) => (c.channel('presence-ops') as unknown as { subscribed: boolean }).subscribed),
        30_000,
        'every client resubscribed',
      );
      const resubscribedMs = Date.now() - killedAt;

      // Every user is still present (one member each), and REST counts converge once the dead node's entries expire.
      const rest = sdk(portOf(nodes[1]));
      await until(
        async () => {
          const info = (await (
            await rest.get({ path: '/channels/presence-ops', params: { info: 'user_count,subscription_count' } })
          ).json()) as { user_count: number; subscription_count: number };
          return info.user_count === 7 && info.subscription_count === 8;
        },
        30_000,
        'REST counts to converge',
      );
      const convergedMs = Date.now() - killedAt;
      assert.deepEqual(removed, [], 'no user left: each came back before the observer could see them go');
      assert.equal((watch as unknown as { members: { count: number } }).members.count, 7);

      // An event triggered on node 1 reaches every client, wherever it reconnected.
      const got = users.map((c) => nextEvent(c.channel('presence-ops'), 'after-kill', 10_000));
      await rest.trigger('presence-ops', 'after-kill', { ok: true });
      for (const g of got) assert.deepEqual(await g, { ok: true });
      console.log(
        `# SIGKILL figures (${broker}): ${dropped} of ${users.length} pusher-js clients dropped; ` +
          `all reconnected in ${reconnectedMs} ms, resubscribed in ${resubscribedMs} ms; REST ` +
          `user_count/subscription_count converged in ${convergedMs} ms (presenceTtlMs 3000)`,
      );
    });
  });
