// The NATS engine when NATS misbehaves: frozen, killed, restarted with its store
// (history and epochs survive) and without it (new epochs), a stream leader lost
// on a cluster; start-up against no NATS or no JetStream; option checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineUnavailableError, type Engine, type Publication } from '@switchboard/engine';
import { startNats, startNatsCluster, type NatsProcess } from '@switchboard/testing/internal';
import { natsEngine, resolveNatsEngineOptions, type NatsEngineOptions } from '../src/index.js';

const HISTORY = { size: 100, ttlMs: 60_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !check(); await sleep(10))
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
}

/** A node on `servers` recording what its handlers get. */
async function node(servers: string[], options: NatsEngineOptions = {}) {
  const received: Publication[] = [];
  let uncertain = 0;
  const engine: Engine = await natsEngine({ servers, ...options })({
    nodeId: `n-${Math.random().toString(36).slice(2, 8)}`,
    broker: { onPublication: (p) => received.push(p), onDeliveryUncertain: () => uncertain++ },
    control: { onControl() {} },
  });
  return { engine, received, uncertain: () => uncertain };
}

/** Retries a command that fails with 115 until the engine's link is back. */
async function eventually<T>(command: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  for (const start = Date.now(); ; await sleep(100)) {
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof EngineUnavailableError) || Date.now() - start > timeoutMs) throw error;
    }
  }
}

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

describe('NATS engine resilience (a throwaway nats-server)', { timeout: 90_000 }, () => {
  let nats: NatsProcess;
  before(async () => {
    nats = await startNats();
  });
  after(() => nats.stop());

  it('fails with 115 within the command timeout while NATS is frozen, and works again after', async () => {
    const a = await node([nats.url], { commandTimeoutMs: 300 });
    await a.engine.broker.publish('frozen', 1, { history: HISTORY });
    nats.freeze();
    const { error, ms } = await failure(a.engine.broker.publish('frozen', 2, { history: HISTORY }));
    nats.thaw();
    assert.ok(error instanceof EngineUnavailableError, `got ${String(error)}`);
    assert.deepEqual([error.code, error.temporary], [115, true]);
    assert.ok(ms < 1000, `failed after ${ms} ms (command timeout 300)`);
    const next = await eventually(() => a.engine.broker.publish('frozen', 3, { history: HISTORY }));
    assert.ok(
      next.position.offset === 2 || next.position.offset === 3,
      'the stream survived (the timed-out publish may have been applied)',
    );
    await a.engine.close();
  });

  it(
    'fails fast while NATS is down; restarted with its store, ' + 'keeps history and epochs, and reports possible loss',
    async () => {
      const a = await node([nats.url]);
      const b = await node([nats.url]);
      await a.engine.broker.subscribe('kept');
      const before = await b.engine.broker.publish('kept', 'before', { history: HISTORY });
      await until(() => a.received.length === 1, 'first delivery');
      await nats.kill();
      await sleep(100); // the client notices the dropped socket
      const down = await failure(b.engine.broker.publish('kept', 'during', { history: HISTORY }));
      assert.ok(down.error instanceof EngineUnavailableError, `got ${String(down.error)}`);
      assert.ok(down.ms < 100, `failed fast: ${down.ms} ms`);
      const read = await failure(b.engine.broker.history('kept'));
      assert.ok(read.error instanceof EngineUnavailableError);
      await nats.restart();
      await until(() => a.uncertain() >= 1, 'onDeliveryUncertain after the link is back', 10_000);
      const resumed = await eventually(() =>
        a.engine.broker.history('kept', { since: { offset: 0, epoch: before.position.epoch } }),
      );
      assert.deepEqual(
        [resumed.gap, resumed.publications.map((p) => p.data)],
        [false, ['before']],
        'file storage kept the history',
      );
      const after = await eventually(() => b.engine.broker.publish('kept', 'after', { history: HISTORY }));
      assert.deepEqual(
        after.position,
        { offset: 2, epoch: before.position.epoch },
        'and the epoch: clients recover with no gap',
      );
      await until(() => a.received.length === 2, 'delivery after the restart (subscription restored)');
      assert.deepEqual(
        a.received.map((p) => p.data),
        ['before', 'after'],
      );
      await Promise.all([a.engine.close(), b.engine.close()]);
    },
  );

  it('a NATS that lost its storage starts new epochs: old positions take the gap path', async () => {
    const a = await node([nats.url]);
    const before = await a.engine.broker.publish('wiped', 'before', { history: HISTORY });
    await nats.restart({ wipe: true });
    const lost = await eventually(() => a.engine.broker.history('wiped', { since: before.position }));
    assert.equal(lost.gap, true);
    const after = await eventually(() => a.engine.broker.publish('wiped', 'after', { history: HISTORY }));
    assert.notEqual(after.position.epoch, before.position.epoch);
    assert.equal(after.position.offset, 1);
    await a.engine.close();
  });

  it('memory storage loses history on a restart, so epochs change', async () => {
    const a = await node([nats.url], { storage: 'memory', prefix: 'mem' });
    const before = await a.engine.broker.publish('volatile', 'x', { history: HISTORY });
    await nats.restart();
    const after = await eventually(() => a.engine.broker.publish('volatile', 'y', { history: HISTORY }));
    assert.deepEqual([after.position.offset, after.position.epoch !== before.position.epoch], [1, true]);
    await a.engine.close();
  });
});

describe('NATS engine start-up and options', { timeout: 30_000 }, () => {
  it('refuses to start when NATS is unreachable, or JetStream is off, with 115', async () => {
    const unreachable = await failure(
      natsEngine({ servers: ['nats://127.0.0.1:1'], connectTimeoutMs: 1000 })({
        nodeId: 'x',
        broker: { onPublication() {}, onDeliveryUncertain() {} },
        control: { onControl() {} },
      }),
    );
    assert.ok(unreachable.error instanceof EngineUnavailableError, String(unreachable.error));
    const plain = await startNats({ jetstream: false });
    try {
      const { error } = await failure(node([plain.url]));
      assert.ok(error instanceof EngineUnavailableError);
      assert.match((error as Error).message, /JetStream is not enabled/);
    } finally {
      await plain.stop();
    }
  });

  it('validates options eagerly, naming the option', () => {
    assert.throws(() => resolveNatsEngineOptions({ replicas: 0 }), /replicas must be a positive integer/);
    assert.throws(() => resolveNatsEngineOptions({ replicas: 7 }), /at most 5/);
    assert.throws(() => resolveNatsEngineOptions({ storage: 'disk' as 'file' }), /storage must be 'file' or 'memory'/);
    assert.throws(() => resolveNatsEngineOptions({ prefix: 'a.b' }), /prefix must match/);
    assert.deepEqual(resolveNatsEngineOptions({}).servers, ['nats://127.0.0.1:4222']);
  });
});

describe('NATS engine on a 3-server cluster: the stream leader killed', { timeout: 90_000 }, () => {
  it('keeps history and epoch (R3: the other two elect a leader); commands fail with 115 only meanwhile', async () => {
    const cluster = await startNatsCluster();
    try {
      const a = await node(cluster.urls, { replicas: 3, commandTimeoutMs: 1000 });
      const b = await node(cluster.urls, { replicas: 3, commandTimeoutMs: 1000 });
      await a.engine.broker.subscribe('leader');
      const positions = [];
      for (let i = 0; i < 20; i++)
        positions.push((await b.engine.broker.publish('leader', i, { history: HISTORY })).position);
      const info = await fetch(
        `http://127.0.0.1:${cluster.servers[0].monitorPort}/jsz?streams=true&accounts=true`,
      ).then((r) => r.json() as Promise<unknown>);
      const leaderName = findLeader(info, 'sb_h_100_60000');
      const leader = cluster.servers.find((s) => s.name === leaderName);
      assert.ok(leader, `stream leader ${leaderName} is one of ours`);
      await leader.kill();
      let failures = 0;
      for (let i = 20; i < 40; i++) {
        positions.push(
          (
            await eventually(
              () =>
                b.engine.broker
                  .publish('leader', i, { history: HISTORY })
                  .catch((e: unknown) => (failures++, Promise.reject(e))),
              20_000,
            )
          ).position,
        );
      }
      assert.deepEqual(
        positions.map((p) => p.offset),
        Array.from({ length: 40 }, (_, i) => i + 1),
        'offsets continue with no gap',
      );
      assert.equal(
        new Set(positions.map((p) => p.epoch)).size,
        1,
        'the epoch did not change: the replicas held the stream',
      );
      const all = await eventually(() => a.engine.broker.history('leader'));
      assert.deepEqual(
        all.publications.map((p) => p.data),
        Array.from({ length: 40 }, (_, i) => i),
      );
      console.log(
        `[nats cluster] stream leader ${leaderName} killed: ${failures} publish attempts failed with 115 during the ` +
          `election; 40/40 stored, one epoch`,
      );
      await Promise.all([a.engine.close(), b.engine.close()]);
    } finally {
      await cluster.stop();
    }
  });
});

/** The server name of a stream's leader in a `/jsz?streams=true&accounts=true` answer. */
function findLeader(jsz: unknown, stream: string): string | undefined {
  const accounts =
    (jsz as { account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[] })
      .account_details ?? [];
  for (const account of accounts)
    for (const s of account.stream_detail ?? []) if (s.name === stream) return s.cluster?.leader;
  return undefined;
}
