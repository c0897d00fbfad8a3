// The client SDK (first cut) in Node against the real server: resubscribe with recovery after a forced reconnect, dedupe, terminal codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ClientState, fullJitterDelay, type WebSocketConstructor } from '@switchboard/client';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import type { PublicationPush } from '@switchboard/wire';

const until = async (check: () => boolean, what: string, timeoutMs = 5000) => {
  for (const start = Date.now(); !check(); await sleep(5)) if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
};

describe('client SDK', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      allowAnonymous: false,
      namespaces: { room: { history: { size: 100, ttlMs: 60_000 }, allowPublish: true } },
      hooks: { onConnecting: (ctx) => ({ userId: ctx.token ?? 'anon' }) },
    });
  });
  after(() => t.close());

  it('keeps full-jitter delays inside [0, min(cap, base·2^n))', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 1000 }, (_, i) => fullJitterDelay(i % 10, { baseMs: 500, capMs: 20_000 }, random));
    delays.forEach((d, i) => assert.ok(d >= 0 && d < Math.min(20_000, 500 * 2 ** (i % 10)), `attempt ${i % 10}: ${d}`));
    const capped = delays.filter((_, i) => i % 10 >= 6);
    assert.ok(Math.max(...capped) > 15_000 && Math.min(...capped) < 5000, 'spread over the whole capped window');
  });

  it('reconnects after a forced disconnect and recovers what it missed, each publication once', async (ctx) => {
    const client = new Client(t.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, token: 'u1', backoff: { baseMs: 20, capMs: 100 } });
    const seen: PublicationPush[] = [];
    client.subscribe('room:a').on('publication', (p) => seen.push(p));
    client.connect();
    ctx.after(() => client.disconnect());
    await until(() => client.getSubscription('room:a')?.state === 'subscribed', 'subscribed');
    for (let i = 1; i <= 5; i++) await t.api('publish', { channel: 'room:a', data: i });
    await until(() => seen.length === 5, 'first five');
    await t.api('disconnect', { user: 'u1', code: 3011 });
    await until(() => client.state !== ClientState.Connected, 'disconnected');
    for (let i = 6; i <= 10; i++) await t.api('publish', { channel: 'room:a', data: i });
    await until(() => seen.length >= 10, 'recovered');
    await sleep(50);
    assert.deepEqual(seen.map((p) => p.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops on a terminal code', async (ctx) => {
    const client = new Client(t.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, token: 'u2', backoff: { baseMs: 10, capMs: 20 } });
    ctx.after(() => client.disconnect());
    const events: { code: number; willReconnect: boolean }[] = [];
    client.on('disconnected', (e) => events.push(e));
    client.connect();
    await until(() => client.state === ClientState.Connected, 'connected');
    await t.api('disconnect', { user: 'u2', code: 3503, reason: 'go away' });
    await until(() => client.state === ClientState.Closed, 'closed');
    await sleep(100);
    assert.deepEqual(events.map((e) => [e.code, e.willReconnect]), [[3503, false]]);
    assert.equal(client.state, ClientState.Closed);
  });
});
