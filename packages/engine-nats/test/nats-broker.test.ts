// What the contract suites do not cover: concurrent publishers on several nodes
// (contiguous offsets, and the retry rate), where JetStream's semantics differ
// from Redis's (documented in docs/scaling.md), and the history read paths.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, Publication } from '@switchboard/engine';
import { startNatsCluster, type NatsCluster } from '@switchboard/testing/internal';
import type { NatsBroker } from '../src/index.js';
import { natsBackend } from './nats-backend.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HISTORY = { size: 1000, ttlMs: 60_000 };
let unique = 0;
const channel = (name: string) => `chat:${name}:${unique++}`;

for (const clustered of [false, true]) {
  describe(`NATS concurrent publishers (${clustered ? '3-server cluster, R3' : 'one server'})`, {
    timeout: 60_000,
  }, () => {
    let cluster: NatsCluster | undefined;
    let backend: Awaited<ReturnType<typeof natsBackend>>;
    before(async () => {
      if (clustered) cluster = await startNatsCluster();
      backend = await natsBackend(() => cluster?.urls ?? ['nats://127.0.0.1:4222'], { replicas: clustered ? 3 : 1 });
    });
    after(async () => {
      await backend.close();
      await cluster?.stop();
    });

    it(
      'keeps offsets contiguous on one hot channel with 4 ' + 'nodes × 4 publishers each, and prints the retry rate',
      async () => {
        const received: Publication[] = [];
        const watcher = await backend.engine({
          broker: { onPublication: (p) => received.push(p), onDeliveryUncertain() {} },
        });
        const nodes: Engine[] = [];
        for (let i = 0; i < 4; i++) nodes.push(await backend.engine({}));
        const ch = channel('hot');
        await watcher.broker.subscribe(ch);
        const perPublisher = 50;
        const started = process.hrtime.bigint();
        const results = (
          await Promise.all(
            nodes.flatMap((node, n) =>
              Array.from({ length: 4 }, async (_, p) => {
                const mine = [];
                for (let i = 0; i < perPublisher; i++)
                  mine.push(await node.broker.publish(ch, { n, p, i }, { history: HISTORY }));
                return mine;
              }),
            ),
          )
        ).flat();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const total = 4 * 4 * perPublisher;
        const offsets = results.map((r) => r.position.offset).sort((a, b) => a - b);
        assert.deepEqual(
          offsets,
          Array.from({ length: total }, (_, i) => i + 1),
          'every publish got its own offset, none skipped',
        );
        assert.equal(new Set(results.map((r) => r.position.epoch)).size, 1);
        const history = await watcher.broker.history(ch);
        assert.deepEqual(
          history.publications.map((p) => p.offset),
          offsets,
        );
        for (const [n, p] of [
          [0, 0],
          [3, 3],
        ]) {
          const own = history.publications
            .filter((x) => (x.data as { n: number }).n === n && (x.data as { p: number }).p === p)
            .map((x) => (x.data as { i: number }).i);
          assert.deepEqual(
            own,
            Array.from({ length: perPublisher }, (_, i) => i),
            'one publisher’s messages keep its order',
          );
        }
        for (let i = 0; i < 200 && received.length < total; i++) await sleep(10);
        assert.deepEqual(
          received.map((p) => p.offset),
          offsets,
          'delivered once each, in offset order, refused attempts never delivered',
        );
        const counters = nodes.map((node) => (node.broker as NatsBroker).counters);
        const publishes = counters.reduce((s, c) => s + c.publishes, 0);
        const conflicts = counters.reduce((s, c) => s + c.conflicts, 0);
        assert.equal(publishes, total);
        console.log(
          `[nats ${clustered ? 'cluster R3' : 'single'}] ${total} publishes from 16 concurrent publishers on 4 nodes ` +
            `to one channel: ${conflicts} retries (${(conflicts / publishes).toFixed(2)} ` +
            `per publish), ${(total / seconds).toFixed(0)} publishes/s`,
        );
      },
    );
  });
}

describe('NATS engine: semantics that differ from Redis, and read paths', { timeout: 60_000 }, () => {
  let backend: Awaited<ReturnType<typeof natsBackend>>;
  before(async () => {
    backend = await natsBackend(() => ['nats://127.0.0.1:4222']);
  });
  after(() => backend.close());

  it(
    'max_age expires each message at its own age, ' + 'not an idle stream: a busy channel keeps only its last ttlMs',
    async () => {
      const { broker } = await backend.engine({});
      const ch = channel('age');
      const history = { size: 10, ttlMs: 600 };
      const first = await broker.publish(ch, 'old', { history });
      await sleep(400);
      await broker.publish(ch, 'new', { history });
      await sleep(350); // 'old' is 750 ms old, 'new' 350 ms: Redis would keep both (the stream was never idle)
      const read = await broker.history(ch, { since: { offset: 0, epoch: first.position.epoch } });
      assert.equal(read.gap, true, 'offset 1 aged out on its own');
      const kept = await broker.history(ch);
      assert.deepEqual(
        [kept.publications.map((p) => p.data), kept.position.epoch],
        [['new'], first.position.epoch],
        'the epoch lives on while any message does',
      );
      const next = await broker.publish(ch, 'next', { history });
      assert.deepEqual(next.position, { offset: 3, epoch: first.position.epoch });
    },
  );

  it(
    'remembers idempotency keys for the engine’s window, beyond the history TTL (as Redis does); ' +
      'the per-publish window is not used',
    async () => {
      const { broker } = await backend.engine({}, { idempotencyWindowMs: 1500 });
      const ch = channel('window');
      const history = { size: 10, ttlMs: 300 };
      const first = await broker.publish(ch, 'a', { history, idempotencyKey: 'k', idempotencyWindowMs: 60_000 });
      await sleep(450); // the publication aged out
      const again = await broker.publish(ch, 'a', { history, idempotencyKey: 'k' });
      assert.deepEqual(again, { position: first.position, duplicate: true });
      assert.equal((await broker.history(ch)).publications.length, 0, 'and was not stored again');
      await sleep(1300); // past the engine's window (1.5 s), whatever the publish asked for
      const late = await broker.publish(ch, 'a', { history, idempotencyKey: 'k', idempotencyWindowMs: 60_000 });
      assert.equal(late.duplicate, false);
      assert.notEqual(late.position.epoch, first.position.epoch);
    },
  );

  it(
    'a node that never published a channel finds it for plain reads, ' + 'in whichever profile stream holds it',
    async () => {
      const a = await backend.engine({});
      const b = await backend.engine({});
      const ch = channel('find');
      await a.broker.publish(ch, 'x', { history: { size: 7, ttlMs: 0 } });
      await a.broker.publish(ch, 'y', { history: { size: 7, ttlMs: 0 } });
      const read = await b.broker.history(ch, {
        since: { offset: 1, epoch: (await a.broker.history(ch)).position.epoch },
      });
      assert.deepEqual([read.gap, read.publications.map((p) => p.data)], [false, ['y']]);
    },
  );

  it('reads long histories through a consumer, all or nothing, in either order', async () => {
    const { broker } = await backend.engine({});
    const ch = channel('long');
    const history = { size: 30, ttlMs: 60_000 };
    const positions = [];
    for (let i = 1; i <= 45; i++) positions.push((await broker.publish(ch, i, { history })).position);
    const recent = await broker.history(ch, { since: positions[19] });
    assert.deepEqual(
      [recent.gap, recent.publications.map((p) => p.offset)],
      [false, Array.from({ length: 25 }, (_, i) => i + 21)],
    );
    const limited = await broker.history(ch, { since: positions[19], limit: 5 });
    assert.deepEqual(
      limited.publications.map((p) => p.offset),
      [21, 22, 23, 24, 25],
    );
    const trimmed = await broker.history(ch, { since: positions[10] });
    assert.equal(trimmed.gap, true, 'offset 12 was trimmed (30 kept: 16..45)');
    const newest = await broker.history(ch, { reverse: true, limit: 20 });
    assert.deepEqual(
      newest.publications.map((p) => p.offset),
      Array.from({ length: 20 }, (_, i) => 45 - i),
    );
    const all = await broker.history(ch);
    assert.deepEqual(
      all.publications.map((p) => p.offset),
      Array.from({ length: 30 }, (_, i) => i + 16),
    );
    const walked = await broker.history(ch, { since: positions[39] });
    assert.deepEqual(
      walked.publications.map((p) => p.offset),
      [41, 42, 43, 44, 45],
      'short reads walk back from the head',
    );
  });
});
