// Exactly once, in order, to the app: dedupe, holes recovered from history, and the snapshot path when the
// server cannot replay (trimmed history, a new epoch). Against the real server, and against a scripted server
// that misbehaves on purpose (duplicates, a hole), since the real one never does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, type SubscribeOptions, type SubscriptionEvent, type Snapshot } from '@switchboard/client';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { startTcpProxy, type TcpProxy } from '@switchboard/testing/internal';
import { WebSocket, WebSocketServer } from '@switchboard/websocket';
import type { StreamPosition } from '@switchboard/wire';
import { until } from './helpers/wait.js';

/** The app's backend: it publishes, and keeps the state a snapshot returns (what was acked, and at which position). */
function backend(t: TestServer, channel: string) {
  const state: number[] = [];
  let position: StreamPosition | undefined;
  return {
    async publish(n: number) {
      const r = await t.api('publish', { channel, data: n });
      assert.equal(r.status, 200);
      state.push(n);
      position = r.body;
    },
    /** A snapshot `behind` publications older than the newest (a lagging read replica). */
    snapshot(behind = 0): Snapshot {
      return {
        position: { offset: position!.offset - behind, epoch: position!.epoch },
        data: state.slice(0, state.length - behind),
      };
    },
  };
}

/** What the app ends with: state from snapshots, then each publication applied on top. */
function app() {
  const items: number[] = [];
  const log: string[] = [];
  return {
    items,
    log,
    on(e: SubscriptionEvent) {
      if (e.type === 'snapshot') {
        const data = e.data as number[];
        log.push(`snapshot@${e.position.offset}`);
        items.splice(0, items.length, ...data);
      } else if (e.type === 'publication') items.push(e.data as number);
      else if (e.type === 'gap') log.push('gap');
    },
  };
}

describe('client recovery', () => {
  let t: TestServer;
  let proxy: TcpProxy;
  let url: string;
  before(async () => {
    t = await startTestServer({
      namespaces: { short: { history: { size: 5, ttlMs: 60_000 } }, long: { history: { size: 1000, ttlMs: 60_000 } } },
    });
    proxy = await startTcpProxy(Number(new URL(t.url).port));
    url = t.url.replace(/:\d+\//, `:${proxy.port}/`);
  });
  after(async () => {
    await proxy.close();
    await t.close();
  });

  const subscribe = (channel: string, options: SubscribeOptions, network: EventTarget | null = null) => {
    const client = new Client(url, { WebSocket, backoff: { baseMs: 5, capMs: 20 }, network });
    const a = app();
    const sub = client.subscribe(channel, options);
    for (const type of ['snapshot', 'publication', 'gap'] as const) sub.on(type, (e) => a.on(e));
    client.connect();
    return { client, sub, app: a };
  };

  it(
    'calls getSnapshot when history no longer covers what was missed, ' + 'then applies the live stream after it',
    async (ctx) => {
      const b = backend(t, 'short:a');
      let snapshots = 0;
      const network = new EventTarget(); // offline keeps it away while it misses publications
      const {
        client,
        sub,
        app: a,
      } = subscribe('short:a', { getSnapshot: async () => (snapshots++, b.snapshot()) }, network);
      ctx.after(() => client.disconnect());
      await until(() => sub.state === 'subscribed', 'subscribed');
      for (let n = 1; n <= 3; n++) await b.publish(n);
      await until(() => a.items.length === 3, 'first three');
      network.dispatchEvent(new Event('offline'));
      for (let n = 4; n <= 20; n++) await b.publish(n); // history keeps 5: 16…20
      network.dispatchEvent(new Event('online'));
      await until(() => a.items.length === 20, 'resynced');
      for (let n = 21; n <= 25; n++) await b.publish(n);
      await until(() => a.items.length === 25, 'live after the snapshot');
      assert.deepEqual(
        a.items,
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      assert.deepEqual(a.log, ['gap', 'snapshot@20']);
      assert.equal(snapshots, 1);
    },
  );

  it('fills a snapshot that lags behind the live stream from history, without a second snapshot', async (ctx) => {
    const b = backend(t, 'long:b');
    for (let n = 1; n <= 10; n++) await b.publish(n);
    let snapshots = 0;
    // A position from a removed stream (another epoch) forces recovered:false at once.
    const { client, app: a } = subscribe('long:b', {
      since: { offset: 3, epoch: 'gone' },
      getSnapshot: async () => (snapshots++, b.snapshot(4)),
    });
    ctx.after(() => client.disconnect());
    await until(() => a.items.length === 10, 'caught up');
    await b.publish(11);
    await until(() => a.items.length === 11, 'live');
    assert.deepEqual(
      a.items,
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
    assert.deepEqual(a.log, ['gap', 'snapshot@6']);
    assert.equal(snapshots, 1);
  });

  it('takes a snapshot when the stream restarts under a live subscription (new epoch)', async (ctx) => {
    const b = backend(t, 'long:c');
    const { client, sub, app: a } = subscribe('long:c', { getSnapshot: async () => b.snapshot() });
    ctx.after(() => client.disconnect());
    await until(() => sub.state === 'subscribed', 'subscribed');
    for (let n = 1; n <= 3; n++) await b.publish(n);
    await until(() => a.items.length === 3, 'first three');
    assert.equal((await t.api('history_remove', { channel: 'long:c' })).status, 200);
    for (let n = 4; n <= 6; n++) await b.publish(n); // offsets 1…3 of a new epoch
    await until(() => a.items.length === 6, 'resynced');
    assert.deepEqual(a.items, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(a.log, ['gap', `snapshot@3`]);
  });
});

describe('client dedupe and hole detection (scripted server)', () => {
  let server: WebSocketServer;
  let url: string;
  const received: object[] = [];
  before(async () => {
    server = new WebSocketServer({
      selectSubprotocol: (offered) => (offered.includes('switchboard.v1.json') ? 'switchboard.v1.json' : null),
    });
    server.on('connection', (ws) => {
      const pub = (offset: number) => ({
        push: 'publication',
        channel: 'c',
        pub: { offset, epoch: 'e', data: offset },
      });
      ws.on('message', (data) => {
        const cmd = JSON.parse(data.toString());
        received.push({ method: cmd.method, params: cmd.params });
        if (cmd.method === 'connect') {
          ws.send(
            JSON.stringify({
              id: cmd.id,
              result: { client: 'x', user: '', node: 'n', subs: { c: { position: { offset: 0, epoch: 'e' } } } },
            }),
          );
          // At-least-once on the wire: duplicates and a replay of old offsets, then a hole (4 is missing).
          for (const o of [1, 2, 2, 1, 3, 3, 5, 6]) ws.send(JSON.stringify(pub(o)));
        } else if (cmd.method === 'unsubscribe') ws.send(JSON.stringify({ id: cmd.id, result: {} }));
        else if (cmd.method === 'subscribe') {
          ws.send(
            JSON.stringify({
              id: cmd.id,
              result: {
                position: { offset: 5, epoch: 'e' },
                recovered: true,
                publications: [4, 5].map((o) => pub(o).pub),
              },
            }),
          );
          for (const o of [5, 6, 4, 7]) ws.send(JSON.stringify(pub(o)));
        }
      });
    });
    const { port } = await server.listen(0);
    url = `ws://127.0.0.1:${port}/`;
  });
  after(() => server.close());

  it(
    'delivers each offset once and in order; ' + 'a hole makes it resubscribe from the last offset it delivered',
    async (ctx) => {
      const client = new Client(url, { WebSocket });
      ctx.after(() => client.disconnect());
      const seen: number[] = [];
      client.subscribe('c').on('publication', (p) => seen.push(p.offset));
      client.connect();
      await until(() => seen.length === 7, 'seven');
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(received.slice(1), [
        { method: 'unsubscribe', params: { channel: 'c' } },
        { method: 'subscribe', params: { channel: 'c', since: { offset: 3, epoch: 'e' } } },
      ]);
    },
  );
});
