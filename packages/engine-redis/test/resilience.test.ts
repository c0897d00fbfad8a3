// The Redis engine when Redis misbehaves: frozen, killed, restarted; plus sharding, batching and URLs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineUnavailableError, type Engine, type Publication } from '@switchboard/engine';
import { startRedis, type RedisProcess } from '@switchboard/testing/internal';
import { Redis } from 'ioredis';
import { parseRedisUrl, redisEngine } from '../src/index.js';

const HISTORY = { size: 100, ttlMs: 60_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !check(); await sleep(10))
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
}

/** A node on `urls` recording what its handlers get. */
async function node(urls: string[], options: { commandTimeoutMs?: number } = {}) {
  const received: Publication[] = [];
  let uncertain = 0;
  const engine: Engine = await redisEngine({ urls, ...options })({
    nodeId: `n-${Math.random().toString(36).slice(2, 8)}`,
    broker: { onPublication: (p) => received.push(p), onDeliveryUncertain: () => uncertain++ },
    control: { onControl() {} },
  });
  return { engine, received, uncertain: () => uncertain };
}

describe('Redis engine resilience', { timeout: 60_000 }, () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('fails publishes with 115 (temporary) while Redis is frozen, and works again after', async () => {
    const a = await node([redis.url], { commandTimeoutMs: 300 });
    await a.engine.broker.publish('frozen', 1, { history: HISTORY });
    redis.freeze();
    const started = Date.now();
    const error = await a.engine.broker.publish('frozen', 2, { history: HISTORY }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;
    redis.thaw();
    assert.ok(error instanceof EngineUnavailableError, `got ${String(error)}`);
    assert.deepEqual([error.code, error.temporary], [115, true]);
    assert.ok(waited < 1000, `failed after ${waited} ms (command timeout 300)`);
    const next = await a.engine.broker.publish('frozen', 3, { history: HISTORY });
    assert.equal(
      next.position.offset,
      3,
      'the stream survived the freeze (the timed-out publish may have been applied: offset 2)',
    );
    await a.engine.close();
  });

  it(
    'fails fast while Redis is down; after a restart, ' + 'resubscribes, reports possible loss, and starts a new epoch',
    async () => {
      const a = await node([redis.url]);
      const b = await node([redis.url]);
      await a.engine.broker.subscribe('restart');
      const before = await b.engine.broker.publish('restart', 'before', { history: HISTORY });
      await until(() => a.received.length === 1, 'first delivery');
      await redis.kill();
      const error = await b.engine.broker.publish('restart', 'during', { history: HISTORY }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof EngineUnavailableError, `got ${String(error)}`);
      await redis.restart();
      await until(() => a.uncertain() === 1, 'onDeliveryUncertain after the pub/sub link is restored', 10_000);
      const lost = await a.engine.broker.history('restart', { since: before.position });
      assert.equal(lost.gap, true, 'the old position cannot be continued');
      // Commands may need a moment to reconnect too.
      let afterRestart;
      for (let i = 0; i < 50 && !afterRestart; i++)
        afterRestart = await b.engine.broker
          .publish('restart', 'after', { history: HISTORY })
          .catch(() => sleep(100).then(() => undefined));
      assert.ok(afterRestart);
      assert.notEqual(afterRestart.position.epoch, before.position.epoch);
      assert.equal(afterRestart.position.offset, 1);
      await until(() => a.received.length === 2, 'delivery after the restart (subscription restored)');
      assert.deepEqual(
        a.received.map((p) => p.data),
        ['before', 'after'],
      );
      await Promise.all([a.engine.close(), b.engine.close()]);
    },
  );

  it('batches node subscriptions: 1,200 channels subscribed in one tick take 3 SUBSCRIBE commands', async () => {
    const stats = new Redis(redis.url);
    await stats.config('RESETSTAT');
    const a = await node([redis.url]);
    const subscribeCalls = async () =>
      Number(/cmdstat_subscribe:calls=(\d+)/.exec(await stats.info('commandstats'))?.[1] ?? 0);
    const base = await subscribeCalls(); // the control bus's own channels
    await Promise.all(Array.from({ length: 1200 }, (_, i) => a.engine.broker.subscribe(`batch-${i}`)));
    assert.equal((await subscribeCalls()) - base, 3);
    // Subscribed and unsubscribed within one tick: nothing is sent.
    await Promise.all([a.engine.broker.subscribe('flicker'), a.engine.broker.unsubscribe('flicker')]);
    assert.equal((await subscribeCalls()) - base, 3);
    await a.engine.close();
    stats.disconnect();
  });
});

describe('Redis sharding', { timeout: 30_000 }, () => {
  let shards: RedisProcess[];
  before(async () => {
    shards = [await startRedis(), await startRedis(), await startRedis()];
  });
  after(() => Promise.all(shards.map((s) => s.stop())));

  it('spreads channels over the shards, and a third shard moves only about a third of them', async () => {
    const count = async (n: number, prefix: string) => {
      const a = await node(shards.slice(0, n).map((s) => s.url));
      for (let i = 0; i < 300; i++) await a.engine.broker.publish(`spread-${i}`, i, { history: HISTORY });
      await a.engine.close();
      const where = new Map<string, number>();
      for (const [index, shard] of shards.slice(0, n).entries()) {
        const r = new Redis(shard.url);
        for (const key of await r.keys(`sb:{${prefix}*}.meta`)) where.set(key, index);
        await r.flushall();
        r.disconnect();
      }
      return where;
    };
    const two = await count(2, 'spread-');
    const three = await count(3, 'spread-');
    const perShard = [0, 1, 2].map((i) => [...three.values()].filter((s) => s === i).length);
    assert.equal(two.size, 300);
    for (const n of perShard) assert.ok(n > 60 && n < 140, `uneven spread over 3 shards: ${perShard}`);
    const moved = [...two].filter(([key, shard]) => three.get(key) !== shard).length;
    // Rendezvous hashing: only channels now owned by the new shard move.
    assert.equal(moved, perShard[2]);
  });
});

describe('Redis URLs', () => {
  it('accepts redis://, rediss:// and redis-sentinel://; refuses Cluster and other schemes', () => {
    assert.equal(parseRedisUrl('redis://:pw@10.0.0.1:6380/2'), 'redis://:pw@10.0.0.1:6380/2');
    assert.deepEqual(parseRedisUrl('redis-sentinel://:secret@s1:26379,s2:26380,s3/mymaster/1'), {
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26379 },
      ],
      name: 'mymaster',
      password: 'secret',
      db: 1,
    });
    assert.throws(() => parseRedisUrl('redis-cluster://a:7000,b:7001'), /not supported/);
    assert.throws(() => parseRedisUrl('http://x'), /unsupported Redis URL scheme/);
    assert.throws(() => parseRedisUrl('redis-sentinel://s1:26379'), /name the Sentinel master/);
  });
});
