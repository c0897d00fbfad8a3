import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Broker, BrokerHandler } from '../broker.js';
import type { Publication } from '../stream-position.js';
import { describeWithFixture, sleep } from './suite.js';

/** A shared backend (a Redis, a NATS, one process's memory) on which nodes can be started. */
export interface BrokerFixture {
  /** A new node on the shared backend, delivering to `handler`. */
  node(handler: BrokerHandler): Promise<Broker>;
  close(): Promise<void>;
}

const HISTORY = { size: 100, ttlMs: 60_000 };
let unique = 0;
const channel = (name: string) => `contract:${name}:${process.pid}:${Date.now()}:${unique++}`;

/** A node whose deliveries are recorded, with a helper to wait for a count. */
async function recordingNode(fixture: BrokerFixture) {
  const received: Publication[] = [];
  const broker = await fixture.node({ onPublication: (p) => received.push(p), onDeliveryUncertain() {} });
  const waitFor = async (n: number, timeoutMs = 5000) => {
    for (const start = Date.now(); received.length < n; await sleep(5)) {
      if (Date.now() - start > timeoutMs) throw new Error(`expected ${n} publications, got ${received.length}`);
    }
  };
  return { broker, received, waitFor };
}

/**
 * The Broker contract (see broker.ts). Every engine runs this same suite:
 * `describeBrokerContract('memory', () => createFixture())`.
 */
export function describeBrokerContract(name: string, createFixture: () => Promise<BrokerFixture>): void {
  describeWithFixture(`Broker contract: ${name}`, 60_000, createFixture, (fixture) => {
    it('gives monotonic offsets under one epoch and reads history in either order, limited', async () => {
      const { broker } = await recordingNode(fixture());
      const ch = channel('offsets');
      const results = [];
      for (let i = 1; i <= 5; i++) results.push(await broker.publish(ch, { i }, { history: HISTORY }));
      assert.deepEqual(
        results.map((r) => r.position.offset),
        [1, 2, 3, 4, 5],
      );
      assert.equal(new Set(results.map((r) => r.position.epoch)).size, 1);
      const all = await broker.history(ch);
      assert.deepEqual(
        all.publications.map((p) => p.data),
        [1, 2, 3, 4, 5].map((i) => ({ i })),
      );
      assert.deepEqual(all.position, results[4].position);
      const newest = await broker.history(ch, { reverse: true, limit: 2 });
      assert.deepEqual(
        newest.publications.map((p) => p.offset),
        [5, 4],
      );
      await broker.close();
    });

    it('delivers one channel’s publications to subscribed nodes in offset order, across nodes', async () => {
      const a = await recordingNode(fixture());
      const b = await recordingNode(fixture());
      const c = await recordingNode(fixture());
      const ch = channel('order');
      await a.broker.subscribe(ch);
      await b.broker.subscribe(ch);
      for (let i = 0; i < 200; i++) await c.broker.publish(ch, i, { history: HISTORY });
      await a.waitFor(200);
      await b.waitFor(200);
      for (const node of [a, b])
        assert.deepEqual(
          node.received.map((p) => p.offset),
          Array.from({ length: 200 }, (_, i) => i + 1),
        );
      assert.equal(c.received.length, 0, 'a node that did not subscribe receives nothing');
      await Promise.all([a, b, c].map((n) => n.broker.close()));
    });

    it('stops delivering after unsubscribe, and subscribe/unsubscribe are idempotent', async () => {
      const a = await recordingNode(fixture());
      const ch = channel('unsub');
      await a.broker.subscribe(ch);
      await a.broker.subscribe(ch);
      await a.broker.publish(ch, 'one', { history: HISTORY });
      await a.waitFor(1);
      await a.broker.unsubscribe(ch);
      await a.broker.unsubscribe(ch);
      await a.broker.publish(ch, 'two', { history: HISTORY });
      await sleep(50);
      assert.deepEqual(
        a.received.map((p) => p.data),
        ['one'],
      );
      await a.broker.close();
    });

    it('answers since-position queries: continuation, foreign epoch and trimmed history', async () => {
      const { broker } = await recordingNode(fixture());
      const ch = channel('since');
      const history = { size: 3, ttlMs: 60_000 };
      const positions = [];
      for (let i = 1; i <= 5; i++) positions.push((await broker.publish(ch, i, { history })).position);
      const after3 = await broker.history(ch, { since: positions[2] });
      assert.deepEqual([after3.gap, after3.publications.map((p) => p.data)], [false, [4, 5]]);
      const top = await broker.history(ch, { since: positions[4] });
      assert.deepEqual([top.gap, top.publications.length], [false, 0]);
      const trimmed = await broker.history(ch, { since: positions[0] });
      assert.equal(trimmed.gap, true, 'offset 2 was trimmed: no partial answer');
      const foreign = await broker.history(ch, { since: { offset: 4, epoch: 'not-this-stream' } });
      assert.equal(foreign.gap, true);
      const kept = await broker.history(ch);
      assert.deepEqual(
        kept.publications.map((p) => p.offset),
        [3, 4, 5],
      );
      await broker.close();
    });

    it('starts a new epoch when the stream is removed or expires', async () => {
      const { broker } = await recordingNode(fixture());
      const ch = channel('epoch');
      const first = await broker.publish(ch, 'a', { history: HISTORY });
      await broker.removeHistory(ch);
      const second = await broker.publish(ch, 'b', { history: HISTORY });
      assert.notEqual(second.position.epoch, first.position.epoch);
      assert.equal(second.position.offset, 1);
      const short = { size: 10, ttlMs: 100 };
      const ch2 = channel('ttl');
      const before = await broker.publish(ch2, 'x', { history: short });
      await sleep(300);
      const lost = await broker.history(ch2, { since: before.position });
      assert.equal(lost.gap, true, 'an expired stream cannot be continued');
      const afterExpiry = await broker.publish(ch2, 'y', { history: short });
      assert.notEqual(afterExpiry.position.epoch, before.position.epoch);
      await broker.close();
    });

    it('creates the stream on an ensuring read, and publications continue its epoch from offset 1', async () => {
      const { broker } = await recordingNode(fixture());
      const ch = channel('ensure');
      const plain = await broker.history(ch);
      assert.deepEqual(plain.position, { offset: 0, epoch: '' }, 'a plain read creates nothing');
      const ensured = await broker.history(ch, { ensure: HISTORY, limit: 0 });
      assert.equal(ensured.position.offset, 0);
      assert.ok(ensured.position.epoch.length > 0, 'an ensured stream has an epoch');
      const again = await broker.history(ch, { ensure: HISTORY, limit: 0 });
      assert.equal(again.position.epoch, ensured.position.epoch, 'ensuring an existing stream keeps it');
      const first = await broker.publish(ch, 'a', { history: HISTORY });
      assert.deepEqual(first.position, { offset: 1, epoch: ensured.position.epoch });
      const resumed = await broker.history(ch, { since: ensured.position });
      assert.deepEqual([resumed.gap, resumed.publications.map((p) => p.data)], [false, ['a']]);
      await broker.close();
    });

    it('publishes without history: delivered, offset 0', async () => {
      const a = await recordingNode(fixture());
      const ch = channel('nohistory');
      await a.broker.subscribe(ch);
      const result = await a.broker.publish(ch, 'live only');
      assert.equal(result.position.offset, 0);
      await a.waitFor(1);
      assert.equal((await a.broker.history(ch)).publications.length, 0);
      await a.broker.close();
    });

    it('is idempotent per key, also under concurrent retries, and delivers once', async () => {
      const a = await recordingNode(fixture());
      const ch = channel('idem');
      await a.broker.subscribe(ch);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => a.broker.publish(ch, 'once', { history: HISTORY, idempotencyKey: 'k1' })),
      );
      assert.equal(new Set(results.map((r) => `${r.position.epoch}:${r.position.offset}`)).size, 1);
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      const other = await a.broker.publish(ch, 'twice', { history: HISTORY, idempotencyKey: 'k2' });
      assert.equal(other.position.offset, 2);
      await a.waitFor(2);
      await sleep(50);
      assert.deepEqual(
        a.received.map((p) => p.data),
        ['once', 'twice'],
      );
      await a.broker.close();
    });
  });
}
