// The headline connection metrics of docs/operations.md#metrics, each asserted against a scripted scenario on a
// real server over real WebSockets: fan-in per namespace (`switchboard_publications_total`), the buffered-bytes
// histogram (`switchboard_send_buffer_bytes`) with one stalled reader, the reconnect rate
// (`switchboard_reconnects_total`) and handshake latency (`switchboard_connect_seconds`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { TestClient } from '@switchboard/testing';
import { clientFrame, rawRequest, readUntil, upgradeRequest } from './helpers/raw-peer.js';

const KEY = 'metrics-test-api-key-0123456789';
const SLOW_CONNECT_MS = 300;

/** The value of one sample of the Prometheus text: `name{labels}` exactly (labels in the order prom-client writes). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

describe('connection metrics, each against a scripted scenario', () => {
  let server: SwitchboardServer;
  let base: string;
  let url: string;
  before(async () => {
    server = createServer({
      apiKey: KEY,
      commandRate: false,
      namespaces: { feed: { backpressure: 'latest' }, chat: { allowPublish: true }, news: {} },
      hooks: {
        onConnecting: async (ctx) => {
          if (ctx.token === 'slow') await sleep(SLOW_CONNECT_MS);
          return { userId: ctx.token ?? 'anon' };
        },
      },
    });
    const { port } = await server.listen(0);
    base = `http://127.0.0.1:${port}`;
    url = `ws://127.0.0.1:${port}/connection/websocket`;
  });
  after(() => server.close());

  const scrape = async () => (await fetch(`${base}/metrics`)).text();
  const publish = (channel: string, data: unknown) =>
    fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { authorization: `apikey ${KEY}` },
      body: JSON.stringify({ channel, data }),
    });
  const client = async (params: object) => {
    const c = await TestClient.open(url);
    await c.connect(params);
    return c;
  };

  it('handshake latency and the reconnect rate: every connect observed once, the slow one in its bucket', async () => {
    const before = await scrape();
    const count0 = sample(before, 'switchboard_connect_seconds_count');
    const fast0 = sample(before, 'switchboard_connect_seconds_bucket{le="0.25"}');
    const sum0 = sample(before, 'switchboard_connect_seconds_sum');
    const reconnects0 = sample(before, 'switchboard_reconnects_total');
    const clients = [
      await client({ token: 'a' }),
      await client({ token: 'b', reconnect: true }),
      await client({ token: 'c', reconnect: true }),
    ];
    clients.push(await client({ token: 'slow' }));
    // A refused connect is no connect: neither observed nor a reconnect.
    const refused = await TestClient.open(url);
    await assert.rejects(refused.command('connect', { token: 5, reconnect: true }));
    const text = await scrape();
    assert.equal(sample(text, 'switchboard_connect_seconds_count') - count0, 4, 'one observation per connect');
    assert.equal(
      sample(text, 'switchboard_connect_seconds_bucket{le="0.25"}') - fast0,
      3,
      'the slow connect is above 250 ms',
    );
    assert.ok(
      sample(text, 'switchboard_connect_seconds_sum') - sum0 >= SLOW_CONNECT_MS / 1000,
      'the slow connect’s time is in the sum',
    );
    assert.equal(
      sample(text, 'switchboard_reconnects_total') - reconnects0,
      2,
      'the connects that said reconnect: true',
    );
    for (const c of [...clients, refused]) await c.close();
  });

  it('fan-in per namespace: API and client publications, counted by the namespace they went to', async () => {
    const before = await scrape();
    const count = (text: string, ns: string) =>
      text.includes(`switchboard_publications_total{namespace="${ns}"}`)
        ? sample(text, `switchboard_publications_total{namespace="${ns}"}`)
        : 0;
    const [chat0, news0] = [count(before, 'chat'), count(before, 'news')];
    for (let i = 0; i < 3; i++) assert.equal((await publish('news:a', i)).status, 200);
    const c = await client({ token: 'p' });
    await c.command('publish', { channel: 'chat:x', data: 1 });
    await c.command('publish', { channel: 'chat:y', data: 2 });
    // Refused publishes are no fan-in: news does not allow client publishing.
    await assert.rejects(c.command('publish', { channel: 'news:a', data: 'no' }));
    const text = await scrape();
    assert.equal(count(text, 'news') - news0, 3);
    assert.equal(count(text, 'chat') - chat0, 2);
    await c.close();
  });

  it('buffered bytes: one stalled reader above 64 KiB, the others at 0; back to 0 when it reads', async () => {
    const readers = [await client({ token: 'r1' }), await client({ token: 'r2' })];
    const socket = await rawRequest(
      Number(new URL(base).port),
      upgradeRequest().replace('GET / ', 'GET /connection/websocket '),
    );
    await readUntil(socket, (b) => b.includes('\r\n\r\n'));
    socket.write(
      clientFrame(0x81, Buffer.from(JSON.stringify({ id: 1, method: 'connect', params: { token: 'stalled' } }))),
    );
    socket.write(
      clientFrame(0x81, Buffer.from(JSON.stringify({ id: 2, method: 'subscribe', params: { channel: 'feed:hot' } }))),
    );
    await readUntil(socket, (b) => b.includes('"id":2'));
    socket.pause();
    const coalesced = async () => {
      const line = (await scrape())
        .split('\n')
        .find((l) => l.startsWith('switchboard_slow_consumer_events_total{policy="latest",outcome="coalesced"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const coalesced0 = await coalesced();
    const chunk = 'x'.repeat(16_000);
    for (let i = 0; (await coalesced()) === coalesced0; i++) {
      if (i > 2000) assert.fail('the stalled reader never went over the cap');
      await Promise.all(Array.from({ length: 10 }, (_, j) => publish('feed:hot', `${i}-${j}-${chunk}`)));
    }
    const text = await scrape();
    const open = text
      .split('\n')
      .filter((l) => l.startsWith('switchboard_connections{'))
      .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    assert.ok(open >= 3);
    assert.equal(sample(text, 'switchboard_send_buffer_bytes_count'), open, 'one observation per open connection');
    assert.equal(sample(text, 'switchboard_send_buffer_bytes_bucket{le="0"}'), open - 1, 'every reader is at 0');
    assert.equal(
      sample(text, 'switchboard_send_buffer_bytes_bucket{le="65536"}'),
      open - 1,
      'the stalled one is above 64 KiB',
    );
    assert.ok(sample(text, 'switchboard_send_buffer_bytes_sum') > 65_536);
    socket.resume();
    for (
      const start = Date.now();
      sample(await scrape(), 'switchboard_send_buffer_bytes_bucket{le="0"}') < open;
      await sleep(20)
    ) {
      if (Date.now() - start > 10_000) assert.fail('the stalled reader never drained');
    }
    socket.destroy();
    for (const c of readers) await c.close();
  });
});
