// Real network faults between real processes: 3 `serve --engine redis` nodes,
// a Redis, a backend and the clients, each in a Linux network namespace of its
// own (helpers/net-lab.ts), on this machine only. Needs root and `ip`; skips
// with the reason otherwise, except in CI (CI=true), where that fails. Scenarios:
//   (a) 150 ms ± 20 ms delay, 3 % loss and 25 % reordering on the client link while publishing;
//   (b) a half-open client: its link cut without FIN or RST;
//   (c) a partition: one node cut from Redis, not from its clients, for 10 s.
// Each prints one "figures" line; docs/reliability.md has the table.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNodes, type Node } from './helpers/cluster.js';
import { stopChild } from './helpers/process.js';
import { IMPAIRMENT, NetLab, labUnavailable } from './helpers/net-lab.js';

const PING_MS = 3000;
const PONG_MS = 2000;
const skip = labUnavailable();

// In CI this file's evidence must not disappear silently: there, a lab that cannot be made fails the run.
it('CI: the network lab can be made', { skip: process.env.CI !== 'true' && 'only in CI (CI=true)' }, () => {
  assert.equal(skip, undefined, `CI=true, but the network lab cannot be made: ${skip}`);
});

interface SubResult {
  node: string;
  firstAt: Record<string, number>;
  duplicates: number;
  outOfOrder: number;
  gaps: number;
  resubscribes: number;
  closes: number[];
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const missing = (s: SubResult, n: number) =>
  Array.from({ length: n }, (_, i) => i + 1).filter((seq) => s.firstAt[seq] === undefined).length;
const sum = (subs: SubResult[], f: (s: SubResult) => number) => subs.reduce((n, s) => n + f(s), 0);

describe('network faults in Linux network namespaces', { skip, timeout: 150_000 }, () => {
  const lab = new NetLab();
  let nodes: Node[] = [];
  const bases = () => JSON.stringify(nodes.map((n) => n.base));

  before(async () => {
    await lab.up();
    const redis = lab.spawnIn('r', [
      'redis-server',
      '--bind',
      NetLab.addr.redis,
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ]);
    redis.stdout!.resume();
    for (
      let i = 0;
      spawnSync('ip', ['netns', 'exec', lab.ns.r, 'redis-cli', '-h', NetLab.addr.redis, 'ping'], {
        encoding: 'utf8',
      }).stdout?.trim() !== 'PONG';
      i++
    ) {
      if (i > 100) throw new Error('redis-server did not start in its namespace');
      await sleep(50);
    }
    nodes = await startNodes(
      3,
      `redis://${NetLab.addr.redis}:6379`,
      { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_MS },
      (i) => ({
        host: NetLab.addr.node(i),
        wrapper: ['ip', 'netns', 'exec', lab.ns[`n${i + 1}` as 'n1']],
      }),
    );
    console.log(`lab ${lab.id}: 3 nodes ${nodes.map((n) => n.base).join(' ')}, impairment by ${lab.impairment}`);
  });

  after(async () => {
    await Promise.all(
      nodes.map((n) => Promise.race([stopChild(n.child), sleep(5000).then(() => n.child.kill('SIGKILL'))])),
    );
    await lab.down();
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.startsWith(`${lab.id}-`));
    assert.deepEqual(left, [], 'every namespace is deleted');
  });

  it('(a) delay, loss and reordering on the client link: every publication arrives, in order; latency', async () => {
    const count = 200;
    const channel = 'feed:latency';
    const subs = lab.peer('c', 'subscribe', channel, JSON.stringify(nodes.map((n) => ({ url: n.ws, count: 10 }))));
    await subs.next('ready', 30_000);
    await lab.impair(true);
    try {
      const pub = lab.peer('p', 'publish', channel, '1', String(count), '20', bases());
      const published = await pub.next<{ sentAt: Record<string, number>; acked: number }>('result', 40_000);
      subs.send({ expect: count, deadlineMs: Date.now() + 20_000 });
      const result = await subs.next<SubResult[]>('result', 30_000);
      const latencies = result
        .flatMap((s) => Object.entries(s.firstAt).map(([seq, at]) => at - published.sentAt[seq]))
        .sort((a, b) => a - b);
      const figures = {
        impairment:
          `${lab.impairment}: delay ${IMPAIRMENT.delayMs}±${IMPAIRMENT.jitterMs} ms, ` +
          `loss ${IMPAIRMENT.lossPct} %, reorder ${IMPAIRMENT.reorderPct} %`,
        subscribers: result.length,
        published: published.acked,
        deliveries: latencies.length,
        lost: sum(result, (s) => missing(s, count)),
        duplicates: sum(result, (s) => s.duplicates),
        outOfOrder: sum(result, (s) => s.outOfOrder),
        reconnects: sum(result, (s) => s.closes.length),
        latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) },
      };
      console.log(`figures (a) ${JSON.stringify(figures)}`);
      assert.equal(figures.lost, 0);
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.outOfOrder, 0);
      assert.ok(figures.latencyMs.p99 >= IMPAIRMENT.delayMs - IMPAIRMENT.jitterMs, 'the delay really applies');
    } finally {
      await lab.impair(false);
    }
  });

  it('(b) a half-open client: the server drops it and frees its presence within ping + pong timeout', async () => {
    const channel = 'feed:half-open';
    const victim = lab.peer('v', 'victim', nodes[0].ws, channel);
    await victim.next('ready', 20_000);
    const probe = lab.peer('p', 'presence', nodes[0].base, channel);
    await probe.next('present', 10_000);
    const cutAt = Date.now();
    lab.link('cv', false);
    try {
      const goneAt = await probe.next<number>('gone', PING_MS + PONG_MS + 10_000);
      const figures = {
        pingIntervalMs: PING_MS,
        pongTimeoutMs: PONG_MS,
        bound: PING_MS + PONG_MS,
        detectedAndFreedMs: goneAt - cutAt,
        probeResolutionMs: 50,
      };
      console.log(`figures (b) ${JSON.stringify(figures)}`);
      assert.ok(figures.detectedAndFreedMs <= PING_MS + PONG_MS + 500, `freed after ${figures.detectedAndFreedMs} ms`);
    } finally {
      victim.child.kill('SIGKILL');
      lab.link('cv', true);
    }
  });

  it(
    '(c) a node cut from Redis (not from its clients) ' + 'for 10 s: nothing lost or duplicated; time until whole',
    async () => {
      const channel = 'feed:partition';
      const perNode = 5;
      const count = 320;
      const subs = lab.peer(
        'c',
        'subscribe',
        channel,
        JSON.stringify(nodes.map((n) => ({ url: n.ws, count: perNode }))),
      );
      await subs.next('ready', 30_000);
      const pub = lab.peer('p', 'publish', channel, '1', String(count), '20', bases());
      await sleep(2000);
      const cutAt = Date.now();
      lab.link('b1', false);
      await sleep(10_000);
      const healAt = Date.now();
      lab.link('b1', true);
      const published = await pub.next<{
        sentAt: Record<string, number>;
        acked: number;
        failures: Record<string, number>;
      }>('result', 60_000);
      subs.send({ expect: count, deadlineMs: Date.now() + 30_000 });
      const result = await subs.next<SubResult[]>('result', 40_000);
      const cut = result.filter((s) => s.node === nodes[0].ws);
      const others = result.filter((s) => s.node !== nodes[0].ws);
      const lastArrival = (s: SubResult) =>
        Math.max(
          ...Object.entries(s.firstAt)
            .filter(([seq]) => published.sentAt[seq] < healAt)
            .map(([, at]) => at),
        );
      const latency = (subset: SubResult[], from: number, to: number) =>
        subset
          .flatMap((s) =>
            Object.entries(s.firstAt)
              .filter(([seq]) => published.sentAt[seq] >= from && published.sentAt[seq] < to)
              .map(([seq, at]) => at - published.sentAt[seq]),
          )
          .sort((a, b) => a - b);
      const during = latency(cut, cutAt, healAt);
      const figures = {
        partitionMs: healAt - cutAt,
        published: published.acked,
        publishFailuresRetried: published.failures,
        cutNode: {
          subscribers: cut.length,
          lost: sum(cut, (s) => missing(s, count)),
          duplicates: sum(cut, (s) => s.duplicates),
          outOfOrder: sum(cut, (s) => s.outOfOrder),
          resubscribes: sum(cut, (s) => s.resubscribes),
          disconnects: cut.flatMap((s) => s.closes),
          gaps: sum(cut, (s) => s.gaps),
          latencyDuringPartitionMs: { p50: quantile(during, 0.5), max: during.at(-1) },
          wholeAfterHealMs: Math.max(...cut.map(lastArrival)) - healAt,
        },
        otherNodes: {
          subscribers: others.length,
          lost: sum(others, (s) => missing(s, count)),
          duplicates: sum(others, (s) => s.duplicates),
          latencyDuringPartitionMs: { p99: quantile(latency(others, cutAt, healAt), 0.99) },
        },
      };
      console.log(`figures (c) ${JSON.stringify(figures)}`);
      assert.equal(figures.published, count);
      assert.equal(figures.cutNode.lost + figures.otherNodes.lost, 0, 'nothing lost');
      assert.equal(figures.cutNode.duplicates + figures.otherNodes.duplicates, 0, 'nothing duplicated');
      assert.ok(
        figures.cutNode.wholeAfterHealMs < 15_000,
        `whole again ${figures.cutNode.wholeAfterHealMs} ms after the heal`,
      );
    },
  );
});
