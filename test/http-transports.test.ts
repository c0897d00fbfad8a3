// The sticky-free HTTP transports over real sockets, on two nodes sharing one in-process engine:
// uni SSE with Last-Event-ID, HTTP streaming with upstream POSTs to any node, long-polling.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryCluster, memoryEngine } from '@switchboard/engine-memory';
import { SwitchboardServer } from '@switchboard/server';
import { NdjsonReader, postJson, SseReader } from './helpers/http-transport-peers.js';

const API_KEY = 'http-transports-test-key-0123';

describe('sticky-free HTTP transports', () => {
  const cluster = new MemoryCluster();
  const nodes: SwitchboardServer[] = [];
  const bases: string[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) {
      const server = new SwitchboardServer({
        nodeId: `node-${i}`,
        allowAnonymous: true,
        apiKey: API_KEY,
        engine: memoryEngine({ cluster }),
        namespaces: {
          room: { history: { size: 100, ttlMs: 60_000 }, allowPublish: true },
          short: { history: { size: 3, ttlMs: 60_000 } },
        },
      });
      const address = await server.listen(0);
      nodes.push(server);
      bases.push(`http://127.0.0.1:${address.port}`);
    }
    await new Promise((r) => setTimeout(r, 50)); // node announcements
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  const publish = async (channel: string, from: number, to: number) => {
    for (let i = from; i <= to; i++) await nodes[0].publish(channel, i);
  };

  describe('uni SSE', () => {
    it('streams several channels; Last-Event-ID resumes every one with no gap and no duplicate', async () => {
      const a = await SseReader.open(`${bases[0]}/connection/sse?channel=room:s1&channel=room:s2`);
      assert.equal(a.response.status, 200);
      assert.match(a.response.headers.get('content-type')!, /^text\/event-stream/);
      assert.equal(a.response.headers.get('x-accel-buffering'), 'no');
      await a.until((e) => e.some((x) => x.event === 'connected'));
      await publish('room:s1', 1, 3);
      await publish('room:s2', 1, 2);
      await a.until(() => a.publications('room:s1').length === 3 && a.publications('room:s2').length === 2);
      const lastId = a.lastId!;
      a.close();

      await publish('room:s1', 4, 10);
      await publish('room:s2', 3, 5);
      // The browser's reconnect: the last id it saw, to any node.
      const b = await SseReader.open(`${bases[1]}/connection/sse?channel=room:s1&channel=room:s2`, {
        headers: { 'last-event-id': lastId },
      });
      await b.until(() => b.publications('room:s1').length === 7 && b.publications('room:s2').length === 3);
      await publish('room:s1', 11, 12);
      await b.until(() => b.publications('room:s1').length === 9);
      assert.deepEqual(b.publications('room:s1'), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
      assert.deepEqual(b.publications('room:s2'), [3, 4, 5]);
      const connected = JSON.parse(b.events.find((e) => e.event === 'connected')!.data);
      assert.deepEqual(connected.subs, { 'room:s1': { recovered: true }, 'room:s2': { recovered: true } });
      assert.equal(b.events.filter((e) => e.event === 'resync').length, 0);
      b.close();
    });

    it('sends resync, and nothing of the lost stretch, when history cannot fill the gap', async () => {
      const a = await SseReader.open(`${bases[0]}/connection/sse?channel=short:x`);
      await publish('short:x', 1, 1);
      await a.until(() => a.publications('short:x').length === 1);
      const lastId = a.lastId!;
      a.close();
      await publish('short:x', 2, 10); // history keeps 3: 8, 9, 10
      const b = await SseReader.open(`${bases[2]}/connection/sse?channel=short:x&lastEventId=${lastId}`);
      await b.until((e) => e.some((x) => x.event === 'resync'));
      assert.deepEqual(JSON.parse(b.events.find((e) => e.event === 'resync')!.data), { channels: ['short:x'] });
      await publish('short:x', 11, 11);
      await b.until(() => b.publications('short:x').length === 1);
      assert.deepEqual(b.publications('short:x'), [11]);
      b.close();
    });

    it('answers a forged Last-Event-ID and a missing channel with 400, and other methods with 405', async () => {
      const bad = await fetch(`${bases[0]}/connection/sse?channel=room:a`, {
        headers: { 'last-event-id': 'not-ours!' },
      });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, 107);
      assert.equal((await fetch(`${bases[0]}/connection/sse`)).status, 400);
      assert.equal((await fetch(`${bases[0]}/connection/sse?channel=room:a`, { method: 'POST' })).status, 405);
    });
  });

  describe('HTTP streaming + upstream POSTs', () => {
    async function openStream(base: string) {
      const reader = await NdjsonReader.open(`${base}/connection/stream`, {
        method: 'POST',
        body: JSON.stringify({ id: 1, method: 'connect', params: {} }),
      });
      assert.equal(reader.response.status, 200);
      const reply = await reader.until(
        (m) => m.find((x) => x.id === 1) as { result: { session: string; node: string } } | undefined,
      );
      return { reader, session: reply.result.session, node: reply.result.node };
    }

    it(
      'names the owning node and a secret in the connect reply; applies out-of-order and retried POSTs in order, ' +
        'once, on any node',
      async () => {
        const { reader, session, node } = await openStream(bases[0]);
        assert.equal(node, 'node-0');
        assert.match(session, /^[\w-]{12}\.[\w-]{22}$/);
        const post = (base: string, seq: number, data: unknown) =>
          postJson(`${base}/connection/emulation`, { node, session, seq, data });
        // seq 3 and 2 arrive first, on other nodes; then 1; then retries of all three.
        const r3 = await post(bases[2], 3, { id: 4, method: 'publish', params: { channel: 'room:e', data: 'c' } });
        const r2 = await post(bases[1], 2, { id: 3, method: 'publish', params: { channel: 'room:e', data: 'b' } });
        assert.deepEqual([r3.status, r3.body.outcome, r2.body.outcome], [200, 'queued', 'queued']);
        const r1 = await post(bases[0], 1, { id: 2, method: 'subscribe', params: { channel: 'room:e' } });
        assert.deepEqual(r1.body, { outcome: 'applied', applied: 3 });
        for (const seq of [1, 2, 3])
          assert.equal(
            (await post(bases[seq - 1], seq, { id: 99, method: 'ping', params: {} })).body.outcome,
            'duplicate',
          );
        const pubs = await reader.until((m) => {
          const p = m.filter((x) => x.push === 'publication').map((x) => (x.pub as { data: string }).data);
          return p.length === 2 ? p : undefined;
        });
        assert.deepEqual(pubs, ['b', 'c']); // subscribed (seq 1) before both publishes (seq 2, 3)
        assert.deepEqual(
          reader.messages.filter((x) => typeof x.id === 'number').map((x) => x.id),
          [1, 2, 3, 4],
        );
        reader.close();
      },
    );

    it(
      'gives the documented answers: forged secret 404/120, unknown node 404/121, too far ahead 409/124, ' +
        'malformed 400/107',
      async () => {
        const { reader, session, node } = await openStream(bases[1]);
        const forged = session.replace(/\..*/, '.AAAAAAAAAAAAAAAAAAAAAA');
        for (const base of [bases[0], bases[1]]) {
          const r = await postJson(`${base}/connection/emulation`, {
            node,
            session: forged,
            seq: 1,
            data: { id: 2, method: 'ping', params: {} },
          });
          assert.deepEqual([r.status, r.body.error.code], [404, 120]);
        }
        const unknown = await postJson(`${bases[0]}/connection/emulation`, {
          node: 'no-such-node',
          session,
          seq: 1,
          data: '{}',
        });
        assert.deepEqual([unknown.status, unknown.body.error.code], [404, 121]);
        const far = await postJson(`${bases[0]}/connection/emulation`, { node, session, seq: 1000, data: '{}' });
        assert.deepEqual([far.status, far.body.error.code], [409, 124]);
        const bad = await postJson(`${bases[0]}/connection/emulation`, '{not json');
        assert.deepEqual([bad.status, bad.body.error.code], [400, 107]);
        reader.close();
      },
    );
  });

  describe('long-polling', () => {
    it('delivers every message once, in order, across polls on every node and retried polls', async () => {
      const open = await postJson(`${bases[0]}/connection/poll/open`, {
        id: 1,
        method: 'connect',
        params: { subs: { 'room:lp': {} } },
      });
      assert.equal(open.status, 200);
      const { session, node } = open.body as { session: string; node: string };
      const got: unknown[] = [];
      let cursor = 0;
      let polls = 0;
      const seen: string[] = [];
      const publishing = publish('room:lp', 1, 40);
      while (got.length < 40) {
        const base = bases[polls++ % 3];
        const r = await postJson(`${base}/connection/poll`, { node, session, cursor, waitMs: 1000 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const frames = r.body.frames as { seq: number; data: string }[];
        // Every third answer is "lost": the retry with the same cursor gets the same frames again.
        if (polls % 3 === 0) continue;
        for (const f of frames) {
          assert.equal(f.seq, cursor + 1);
          cursor = f.seq;
          const m = JSON.parse(f.data);
          seen.push(m.push ?? `reply${m.id}`);
          if (m.push === 'publication') got.push(m.pub.data);
        }
      }
      await publishing;
      assert.deepEqual(
        got,
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.equal(seen[0], 'reply1');
      const ahead = await postJson(`${bases[1]}/connection/poll`, { node, session, cursor: cursor + 5 });
      assert.deepEqual([ahead.status, ahead.body.error.code], [400, 107]);
    });

    it('answers 410/122 once the owning node is gone', async () => {
      const extra = new SwitchboardServer({
        nodeId: 'node-x',
        allowAnonymous: true,
        engine: memoryEngine({ cluster }),
      });
      await extra.listen(0);
      await new Promise((r) => setTimeout(r, 50));
      const base = `http://127.0.0.1:${extra.address!.port}`;
      const open = await postJson(`${base}/connection/poll/open`, { id: 1, method: 'connect', params: {} });
      await extra.close();
      const r = await postJson(`${bases[0]}/connection/poll`, {
        node: open.body.node,
        session: open.body.session,
        cursor: 0,
      });
      assert.deepEqual([r.status, r.body.error.code], [410, 122]);
    });
  });
});

describe('HTTP transports: heartbeats and the Origin check', () => {
  let server: SwitchboardServer;
  let base: string;
  before(async () => {
    server = new SwitchboardServer({
      allowAnonymous: true,
      pingIntervalMs: 300,
      pongTimeoutMs: 150,
      jwt: { secret: 'origin-test-secret-0123456789-abcdef', cookie: 'sb_token' },
      namespaces: { room: {} },
    });
    base = `http://127.0.0.1:${(await server.listen(0)).port}`;
  });
  after(() => server.close());

  it('drops an HTTP-streaming client that never answers the ping pushes (3012), keeps one that does', async () => {
    const silent = await NdjsonReader.open(`${base}/connection/stream`, {
      method: 'POST',
      body: JSON.stringify({ id: 1, method: 'connect', params: {} }),
    });
    const alive = await NdjsonReader.open(`${base}/connection/stream`, {
      method: 'POST',
      body: JSON.stringify({ id: 1, method: 'connect', params: {} }),
    });
    const { session, node } = (
      (await alive.until((m) => m.find((x) => x.id === 1))) as { result: { session: string; node: string } }
    ).result;
    let seq = 0;
    const answering = setInterval(() => {
      if (alive.messages.some((m) => m.push === 'ping'))
        void postJson(`${base}/connection/emulation`, {
          node,
          session,
          seq: ++seq,
          data: { id: 1000 + seq, method: 'ping', params: {} },
        });
    }, 100);
    try {
      const close = await silent.until((m) => m.find((x) => x.close) as { close: { code: number } } | undefined, 3000);
      assert.equal(close.close.code, 3012);
      assert.equal(
        alive.messages.some((x) => x.close),
        false,
      );
    } finally {
      clearInterval(answering);
      alive.close();
    }
  });

  it(
    'answers an upgrade to a path other than the WebSocket endpoint with 404 at once (the SDK can fall back without ' +
      'waiting)',
    async () => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1');
      socket.write(
        'GET /connection/sse HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      const [head] = (await once(socket, 'data')) as [Buffer];
      socket.destroy();
      assert.match(head.toString(), /^HTTP\/1\.1 404 /);
    },
  );

  it("with cookie auth, refuses an SSE stream from a foreign Origin (403/103) and accepts the page's own", async () => {
    const foreign = await fetch(`${base}/connection/sse?channel=room:o`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(foreign.status, 403);
    assert.equal((await foreign.json()).error.code, 103);
    const own = await SseReader.open(`${base}/connection/sse?channel=room:o`, { headers: { origin: base } });
    await own.until((e) => e.some((x) => x.event === 'connected'));
    own.close();
  });
});
