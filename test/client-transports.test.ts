// The SDK's fallback ladder over real sockets: WebSocket first, HTTP streaming and long-polling
// when the upgrade fails, staying on what worked, bounded zero-delay steps, moving back up.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, TransportName, type ClientEvent, type ClientOptions } from '@switchboard/client';
import { SwitchboardServer } from '@switchboard/server';
import { WebSocket } from '@switchboard/websocket';
import { until } from './helpers/wait.js';

/**
 * While `blocked`, the WebSocket goes to a plain HTTP server that answers its upgrade with 200 and a page, as a proxy
 * that strips Upgrade does.
 */
let blocked = true;
let blocker: Server;
let blockerPort = 0;
class BlockableWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(blocked ? String(url).replace(/:\d+\//, `:${blockerPort}/`) : url, protocols);
  }
}

describe('client transports and the fallback ladder', () => {
  let server: SwitchboardServer;
  let url: string;
  before(async () => {
    server = new SwitchboardServer({
      allowAnonymous: true,
      namespaces: { room: { history: { size: 100, ttlMs: 60_000 }, allowPublish: true } },
    });
    url = `ws://127.0.0.1:${(await server.listen(0)).port}/connection/websocket`;
    blocker = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>upgrades are not allowed here</p>'),
    );
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    blockerPort = (blocker.address() as AddressInfo).port;
  });
  after(async () => {
    blocker.closeAllConnections();
    await new Promise((resolve) => blocker.close(resolve));
    await server.close();
  });

  const open = (options: ClientOptions) => {
    const client = new Client(url, { WebSocket: BlockableWebSocket, backoff: { baseMs: 50, capMs: 200 }, ...options });
    const events: ClientEvent[] = [];
    client.on('connected', (e) => events.push(e));
    client.on('disconnected', (e) => events.push(e));
    return { client, events };
  };

  for (const transport of [TransportName.HttpStream, TransportName.LongPoll]) {
    it(
      `${transport}: drops down at once from a failed upgrade, ` +
        `reports it, publishes upstream and receives in order`,
      async () => {
        blocked = true;
        const { client, events } = open({ transports: [TransportName.WebSocket, transport], upgradeProbeMs: 0 });
        const seen: unknown[] = [];
        client.subscribe('room:ladder-' + transport).on('publication', (p) => seen.push(p.data));
        const started = Date.now();
        client.connect();
        await until(() => client.state === 'connected', `connected over ${transport}`);
        const connected = events.find((e) => e.type === 'connected') as Extract<ClientEvent, { type: 'connected' }>;
        assert.equal(connected.transport, transport);
        const drops = events.filter((e) => e.type === 'disconnected');
        assert.equal(drops.length, 1);
        assert.equal((drops[0] as { retryInMs?: number }).retryInMs, 0); // down the ladder at once
        assert.ok(Date.now() - started < 1000);
        await until(() => client.getSubscription('room:ladder-' + transport)?.state === 'subscribed', 'subscribed');
        for (let i = 1; i <= 20; i++) void client.publish('room:ladder-' + transport, i);
        await until(() => seen.length === 20, 'own publications back');
        assert.deepEqual(
          seen,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const history = await client.history('room:ladder-' + transport, { limit: 100 });
        assert.deepEqual(
          history.publications.map((p) => p.data),
          seen,
        );
        client.disconnect();
      },
    );
  }

  it(
    'stays on the transport that worked after a server disconnect, ' + 'with normal backoff (no zero-delay step)',
    async () => {
      blocked = true;
      // A fixed draw: full jitter may give 0 ms by chance (1 in 50 at this base), which is not the ladder's zero step.
      const { client, events } = open({
        transports: [TransportName.WebSocket, TransportName.HttpStream],
        upgradeProbeMs: 0,
        backoff: { baseMs: 50, capMs: 200, random: () => 0.5 },
      });
      client.connect();
      await until(() => client.state === 'connected', 'connected');
      const before = events.length;
      // Kill every session from the server side: the stream ends with a close frame.
      for (const s of [
        ...(
          server as unknown as { sessions: { all(): Iterable<{ disconnect(c: number, r: string): void }> } }
        ).sessions.all(),
      ])
        s.disconnect(3011, 'force reconnect');
      await until(() => events.slice(before).some((e) => e.type === 'connected'), 'reconnected');
      const drop = events.slice(before).find((e) => e.type === 'disconnected') as Extract<
        ClientEvent,
        { type: 'disconnected' }
      >;
      assert.equal(drop.code, 3011);
      assert.ok((drop.retryInMs ?? 0) > 0, `backoff after a server close: ${drop.retryInMs}`);
      const again = events.slice(before).find((e) => e.type === 'connected') as Extract<
        ClientEvent,
        { type: 'connected' }
      >;
      assert.equal(again.transport, TransportName.HttpStream);
      client.disconnect();
    },
  );

  it(
    'with nothing reachable, zero-delay steps are bounded by the ladder: ' +
      'at most one per transport per backoff round',
    async () => {
      const dead = new Client('ws://127.0.0.1:9/connection/websocket', {
        WebSocket,
        transports: [TransportName.WebSocket, TransportName.HttpStream, TransportName.LongPoll],
        backoff: { baseMs: 300, capMs: 300, random: () => 0.5 },
      });
      // A fixed jitter draw: a full-jitter wait can itself round to 0 ms, which would count as a ladder step.
      const delays: number[] = [];
      dead.on('disconnected', (e) => delays.push(e.retryInMs ?? -1));
      dead.connect();
      await new Promise((r) => setTimeout(r, 1000));
      dead.disconnect();
      const zero = delays.filter((d) => d === 0).length;
      const waits = delays.filter((d) => d > 0).length;
      assert.ok(delays.length < 30, `attempts in 1 s: ${delays.length}`);
      assert.ok(zero <= 2 * (waits + 1), `zero-delay steps ${zero} vs backoff waits ${waits}: ${delays.join(',')}`);
    },
  );

  it('moves back up to WebSocket once it works again (the probe), and reports it', async () => {
    blocked = true;
    const { client, events } = open({
      transports: [TransportName.WebSocket, TransportName.LongPoll],
      upgradeProbeMs: 200,
    });
    const seen: unknown[] = [];
    client.subscribe('room:up').on('publication', (p) => seen.push(p.data));
    client.connect();
    await until(() => client.state === 'connected', 'connected on long-poll');
    await server.publish('room:up', 1);
    await until(() => seen.length === 1, 'first publication');
    blocked = false;
    await until(
      () => events.some((e) => e.type === 'connected' && e.transport === TransportName.WebSocket),
      'moved up',
      3000,
    );
    await server.publish('room:up', 2);
    await until(() => seen.length === 2, 'second publication over WebSocket');
    assert.deepEqual(seen, [1, 2]);
    client.disconnect();
  });
});
