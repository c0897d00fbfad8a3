// Lifecycle events and webhooks on the memory engine, with real HTTP receivers that verify every
// request with the `standardwebhooks` package. Outage lengths come from the environment so the
// closing run can use the (SWITCHBOARD_TEST_OUTAGE_MS=30000, SWITCHBOARD_TEST_DOWN_MS=60000).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LifecycleEvent, ServerOptions } from '@switchboard/server';
import { memoryEngine } from '@switchboard/engine-memory';
import { startTestServer, type TestClient, type TestServer } from '@switchboard/testing';
import { SseReader } from './helpers/http-transport-peers.js';
import { ofKey, startReceiver, tally, type ReceivedEvent, type WebhookReceiver } from './helpers/webhook-receiver.js';

const OUTAGE_MS = Number(process.env.SWITCHBOARD_TEST_OUTAGE_MS ?? 3000);
const DOWN_MS = Number(process.env.SWITCHBOARD_TEST_DOWN_MS ?? 3000);
const FLOOD = Number(process.env.SWITCHBOARD_TEST_FLOOD ?? 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server whose webhooks retry fast, with users named by the connect's `data.user`. */
async function serverWith(
  receiver: WebhookReceiver,
  extra: Partial<NonNullable<ServerOptions['webhooks']>[number]> = {},
  onEvent?: (e: LifecycleEvent) => void,
  options: ServerOptions = {},
) {
  return startTestServer({
    ...options,
    namespaces: { room: { presence: true, allowPublish: true } },
    hooks: {
      onConnecting: (ctx) => ({ userId: String((ctx.data as { user?: string } | undefined)?.user ?? '') }),
      ...(onEvent && { onEvent }),
    },
    webhooks: [
      { url: receiver.url, secret: receiver.secret, retryBaseMs: 50, retryMaxMs: 400, windowMs: 10, ...extra },
    ],
    lifecycle: { leaseMs: 1000, pollMs: 50, nodeTtlMs: 1000, sweepIntervalMs: 200 },
  });
}

const shape = (e: ReceivedEvent) => [e.type, e.user ?? '', e.reason ?? ''].filter((x) => x !== '').join(' ');

describe('webhooks on the memory engine', { timeout: 120_000 + 4 * Math.max(OUTAGE_MS, DOWN_MS) + 30 * FLOOD }, () => {
  const open: { close(): Promise<void> }[] = [];
  after(() => Promise.all(open.map((o) => o.close())));

  it(
    'every event type of a scripted session over WebSocket, each request verified by standardwebhooks, ' +
      'in order per channel and user',
    async () => {
      const receiver = await startReceiver();
      const hooked: LifecycleEvent[] = [];
      const t: TestServer = await serverWith(receiver, { events: undefined }, (e) => hooked.push(e));
      open.push(t, receiver);
      const tab1 = await t.client({ data: { user: 'alice' } });
      await tab1.command('subscribe', { channel: 'room:1' });
      const tab2 = await t.client({ data: { user: 'alice' } });
      await tab2.command('subscribe', { channel: 'room:1' });
      const bob = await t.client({ data: { user: 'bob' } });
      await bob.command('subscribe', { channel: 'room:1' });
      await tab2.command('unsubscribe', { channel: 'room:1' });
      await tab2.close();
      await tab1.close();
      await bob.close();
      await receiver.until(
        (ev) => ev.some((e) => e.type === 'channel_vacated') && ev.filter((e) => e.type === 'disconnect').length === 3,
      );
      await sleep(200);
      assert.deepEqual(ofKey(receiver.events, 'room:1').map(shape), [
        'channel_occupied',
        'subscribe alice',
        'member_added alice',
        'subscribe alice',
        'subscribe bob',
        'member_added bob',
        'unsubscribe alice client',
        'unsubscribe alice disconnect',
        'member_removed alice',
        'unsubscribe bob disconnect',
        'member_removed bob',
        'channel_vacated',
      ]);
      assert.deepEqual(ofKey(receiver.events, 'user:alice').map(shape), [
        'connect alice',
        'connect alice',
        'disconnect alice',
        'disconnect alice',
      ]);
      const connect = receiver.events.find((e) => e.type === 'connect')!;
      assert.equal(connect.transport, 'websocket');
      assert.equal(connect.remoteAddress, '127.0.0.1');
      assert.match(connect.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const disconnect = receiver.events.find((e) => e.type === 'disconnect')!;
      assert.equal(typeof disconnect.code, 'number');
      assert.ok(disconnect.durationMs >= 0);
      assert.equal(receiver.stats.rejected, 0);
      assert.deepEqual(
        tally(hooked, receiver.events),
        { emitted: 18, delivered: 18, duplicates: 0, lost: 0 },
        'hooks.onEvent gets the same events',
      );
      console.log(
        '# receiver log (scripted session):\n' +
          receiver.events.map((e) => `#   ${e.key.padEnd(11)} ${shape(e)}`).join('\n'),
      );
    },
  );

  it('connect, subscribe and disconnect over SSE; publications only when asked for', async () => {
    const receiver = await startReceiver();
    const t = await serverWith(receiver, {
      events: ['connect', 'subscribe', 'unsubscribe', 'disconnect', 'publication'],
    });
    open.push(t, receiver);
    const sse = await SseReader.open(`${t.httpUrl}/connection/sse?channel=room:sse`);
    await sse.until((e) => e.some((x) => x.event === 'connected'));
    sse.close();
    await receiver.until((ev) => ev.some((e) => e.type === 'disconnect'));
    await sleep(100);
    const user = receiver.events.find((e) => e.type === 'connect')!.key;
    assert.deepEqual(
      ofKey(receiver.events, user).map((e) => [e.type, e.transport]),
      [
        ['connect', 'sse'],
        ['disconnect', 'sse'],
      ],
    );
    assert.deepEqual(
      ofKey(receiver.events, 'room:sse').map((e) => e.type),
      ['subscribe', 'unsubscribe'],
    );
    assert.equal(ofKey(receiver.events, 'room:sse').at(-1)!.reason, 'disconnect');
  });

  it('client publications, when asked for, with the data the onPublish hook gave', async () => {
    const receiver = await startReceiver();
    const t = await startTestServer({
      namespaces: { room: { allowPublish: true } },
      hooks: { onPublish: (_ctx, pub) => ({ data: { wrapped: pub.data } }) },
      webhooks: [{ url: receiver.url, secret: receiver.secret, events: ['publication'] }],
      lifecycle: { pollMs: 50 },
    });
    open.push(t, receiver);
    const c = await t.client();
    await c.command('subscribe', { channel: 'room:pub' });
    const position = await c.command('publish', { channel: 'room:pub', data: { text: 'hi' } });
    await t.api('publish', { channel: 'room:pub', data: 'from the backend' });
    await receiver.until((ev) => ev.length >= 1);
    await sleep(200);
    assert.deepEqual(
      receiver.events.map((e) => [e.type, e.channel, e.offset, e.data]),
      [['publication', 'room:pub', position.offset, { wrapped: { text: 'hi' } }]],
      'only the client publish, not the backend one nor other types',
    );
  });

  /** Clients come and go over 5 channels for `ms`; resolves with how many took part. */
  async function traffic(t: TestServer, ms: number): Promise<number> {
    const live: TestClient[] = [];
    let n = 0;
    for (const end = Date.now() + ms; Date.now() < end; n++) {
      const c = await t.client({ data: { user: `u${n % 7}` } });
      await c.command('subscribe', { channel: `room:${n % 5}` });
      live.push(c);
      if (live.length > 3) await live.shift()!.close();
      await sleep(50);
    }
    await Promise.all(live.map((c) => c.close()));
    return n;
  }

  /** Every emitted event arrived, and each key's events arrived in the order they were stored. */
  function checkDelivery(emitted: LifecycleEvent[], received: ReceivedEvent[]) {
    const result = tally(emitted, received);
    assert.equal(result.lost, 0, 'no event lost');
    for (const key of new Set(emitted.map((e) => e.key))) {
      assert.deepEqual(
        ofKey(received, key).map((e) => e.id),
        emitted.filter((e) => e.key === key).map((e) => e.id),
        `order of ${key}`,
      );
    }
    return result;
  }

  const outages: [string, (r: WebhookReceiver) => Promise<() => Promise<void>>][] = [
    [`answers 500 for ${OUTAGE_MS} ms`, async (r) => ((r.answer = () => 500), async () => void (r.answer = () => 200))],
    [
      `times out for ${OUTAGE_MS} ms`,
      async (r) => ((r.answer = () => 'hang'), async () => void (r.answer = () => 200)),
    ],
    [`is down (port closed) for ${DOWN_MS} ms`, async (r) => (await r.down(), () => r.up())],
  ];
  const table: string[] = [];
  after(() =>
    console.log(
      `# outages (memory engine)\n#   receiver                          | emitted | delivered | duplicates | ` +
        `dead-lettered | lost\n${table.join('\n')}`,
    ),
  );

  for (const [title, outage] of outages) {
    it(
      `a receiver that ${title} then recovers gets every event afterwards, ` + `in order per channel and user`,
      async () => {
        const receiver = await startReceiver();
        const emitted: LifecycleEvent[] = [];
        const t = await serverWith(receiver, { timeoutMs: 500, retryMaxMs: 1000 }, (e) => emitted.push(e));
        open.push(t, receiver);
        const recover = await outage(receiver);
        const started = Date.now();
        await traffic(t, title.includes('down') ? DOWN_MS : OUTAGE_MS);
        await sleep(Math.max(0, (title.includes('down') ? DOWN_MS : OUTAGE_MS) - (Date.now() - started)));
        const during = receiver.events.length;
        await recover();
        await receiver.until((ev) => tally(emitted, ev).lost === 0, 30_000);
        await sleep(300);
        const result = checkDelivery(emitted, receiver.events);
        const dead = (await t.api('webhooks')).body.webhooks[0].deadLetters;
        assert.equal(during, 0, 'nothing was accepted during the outage');
        assert.equal(dead, 0);
        table.push(
          `#   ${title.padEnd(33)} | ${String(result.emitted).padStart(7)} | ${String(result.delivered).padStart(9)} ` +
            `| ${String(result.duplicates).padStart(10)} | ${String(dead).padStart(13)} | ${result.lost}`,
        );
      },
    );
  }

  it('retries that run past maxAgeMs dead-letter the batch (metrics, API); replay delivers it', async () => {
    const receiver = await startReceiver();
    const emitted: LifecycleEvent[] = [];
    const t = await serverWith(receiver, { maxAgeMs: 300, name: 'orders' }, (e) => emitted.push(e));
    open.push(t, receiver);
    receiver.answer = () => 503;
    const c = await t.client({ data: { user: 'carol' } });
    await c.command('subscribe', { channel: 'room:dl' });
    await c.close();
    await sleep(1000);
    receiver.answer = () => 200;
    const listed = (await t.api('webhooks')).body.webhooks;
    assert.equal(listed[0].name, 'orders');
    assert.equal(listed[0].deadLetters, emitted.length);
    const letters = (await t.api('webhook_dead_letters', { webhook: 'orders' })).body.deadLetters;
    assert.deepEqual(
      letters.map((l: { reason: string }) => l.reason),
      emitted.map(() => 'max-age'),
    );
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(
        `switchboard_webhook_events_dead_lettered_total\\{webhook="orders",reason="max-age"\\} ${emitted.length}`,
      ),
    );
    assert.match(metrics, new RegExp(`switchboard_webhook_dead_letters\\{webhook="orders"\\} ${emitted.length}`));
    assert.equal(receiver.events.length, 0);
    assert.deepEqual((await t.api('webhook_replay', { webhook: 'orders' })).body, {
      replayed: emitted.length,
      remaining: 0,
    });
    assert.deepEqual(tally(emitted, receiver.events), {
      emitted: emitted.length,
      delivered: emitted.length,
      duplicates: 0,
      lost: 0,
    });
    assert.equal((await t.api('webhook_replay', { webhook: 'nope' })).status, 400);
    table.push(
      `#   ${'answers 503 past maxAgeMs (300 ms)'.padEnd(33)} | ${String(emitted.length).padStart(7)} ` +
        `| ${String(emitted.length).padStart(9)} | ${'0'.padStart(10)} | ${String(emitted.length).padStart(13)} | ` +
        `0 (replayed)`,
    );
  });

  it(
    `a flood of ${FLOOD} connects and disconnects stays within the in-flight cap and, ` +
      `receiver down, the backlog cap`,
    async () => {
      const receiver = await startReceiver();
      const emitted: LifecycleEvent[] = [];
      const backlogCap = Math.ceil(FLOOD / 32);
      const t = await serverWith(
        receiver,
        { maxInFlight: 3, events: ['connect', 'disconnect'], name: 'flood' },
        (e) => emitted.push(e),
        {
          engine: memoryEngine({ events: { partitions: 16, backlogCap, deadLetterCap: 4 * FLOOD } }),
        },
      );
      open.push(t, receiver);
      receiver.delayMs = 30;
      const started = Date.now();
      const cycle = async (i: number) => {
        const c = await t.client({ data: { user: `f${i}` } });
        await c.close();
      };
      for (let i = 0; i < FLOOD; i += 50)
        await Promise.all(Array.from({ length: Math.min(50, FLOOD - i) }, (_, j) => cycle(i + j)));
      const floodMs = Date.now() - started;
      await receiver.until((ev) => tally(emitted, ev).lost === 0, 60_000);
      assert.ok(receiver.stats.maxConcurrent <= 3, `in flight at most 3, saw ${receiver.stats.maxConcurrent}`);
      const first = checkDelivery(emitted, receiver.events);
      console.log(
        `# flood: ${FLOOD} connects+disconnects in ${floodMs} ms → ${first.emitted} ` +
          `events, ${receiver.stats.requests} requests, at most ${receiver.stats.maxConcurrent} in flight`,
      );

      // Receiver down: the backlog stays at the cap per partition, and what the cap trims is dead-lettered.
      await receiver.down();
      emitted.length = 0;
      for (let i = 0; i < FLOOD; i += 50)
        await Promise.all(Array.from({ length: Math.min(50, FLOOD - i) }, (_, j) => cycle(i + j)));
      await sleep(200);
      const engine = (t.server as unknown as { core: { engine: import('@switchboard/engine').Engine } }).core.engine;
      const dead = (await t.api('webhooks')).body.webhooks[0].deadLetters;
      let kept = 0;
      for (let p = 0; p < 16; p++) kept += (await engine.events!.read(p, undefined, backlogCap + 1)).length;
      assert.ok(kept <= 16 * backlogCap);
      assert.ok(dead > 0, 'the cap was reached');
      await receiver.up();
      const deadLetters = (await t.api('webhook_dead_letters', { webhook: 'flood', limit: 100_000 })).body
        .deadLetters as { event: ReceivedEvent; reason: string }[];
      assert.ok(deadLetters.every((l) => l.reason === 'backlog-cap'));
      const deadIds = new Set(deadLetters.map((l) => l.event.id));
      const backlog = emitted.filter((e) => !deadIds.has(e.id));
      await receiver.until((ev) => tally(backlog, ev).lost === 0, 60_000);
      const seen = new Set([...receiver.events.map((e) => e.id), ...deadLetters.map((l) => l.event.id)]);
      assert.equal(emitted.filter((e) => !seen.has(e.id)).length, 0, 'every event delivered or dead-lettered');
      console.log(
        `# flood, receiver down: ${emitted.length} events, backlog ${kept} kept ` +
          `(cap ${backlogCap}/partition), ${dead} dead-lettered (backlog-cap), 0 lost`,
      );
    },
  );
});
