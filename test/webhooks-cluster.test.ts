// 3 `serve` nodes on Redis, then on NATS, each delivering webhooks; one is SIGKILLed mid-stream. Checked
// against a real receiver (every request verified by `standardwebhooks`) and the events stored in the engine
// (read through an audit consumer that never commits, so nothing stored is dropped before the test reads it):
// no stored event is lost, and the dead node's subscribers, members and channels end within the bound.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TestClient } from '@switchboard/testing';
import type { Engine, EventLog } from '@switchboard/engine';
import { natsEngine } from '@switchboard/engine-nats';
import { redisEngine } from '@switchboard/engine-redis';
import { startNodes, stopNodes, type Backplane, type Node } from './helpers/cluster.js';
import { hs } from './helpers/jwt.js';
import { ofKey, startReceiver, tally, type ReceivedEvent } from './helpers/webhook-receiver.js';

const REDIS = process.env.SWITCHBOARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS = process.env.SWITCHBOARD_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const LIFECYCLE = { nodeTtlMs: 2000, sweepIntervalMs: 500, leaseMs: 2000, pollMs: 100 };
/** A dead node's events come within its mark's TTL plus a sweep, then a lease's TTL for the partitions it delivered. */
const BOUND_MS = LIFECYCLE.nodeTtlMs + LIFECYCLE.sweepIntervalMs + LIFECYCLE.leaseMs + 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function client(node: Node, user: string): Promise<TestClient> {
  const c = await TestClient.open(node.ws);
  await c.connect({ token: await hs({ sub: user }) });
  return c;
}

/**
 * The cluster's engine, seen from the test: an audit consumer registered on every partition keeps every event stored.
 */
async function auditor(
  backplane: Backplane,
  prefix: string,
): Promise<{ engine: Engine; stored(): Promise<{ id: string }[]> }> {
  const node = {
    nodeId: 'audit',
    broker: { onPublication() {}, onDeliveryUncertain() {} },
    control: { onControl() {} },
  };
  const engine =
    typeof backplane === 'string'
      ? await redisEngine({ urls: [backplane], prefix })(node)
      : await natsEngine({ servers: backplane.nats, prefix })(node);
  const log: EventLog = engine.events!;
  for (let p = 0; p < log.partitions; p++) await log.lease('audit', p, 'audit', 1000);
  return {
    engine,
    async stored() {
      const out: { id: string }[] = [];
      for (let p = 0; p < log.partitions; p++)
        for (const { event } of await log.read(p, undefined, 1_000_000)) out.push(event);
      return out;
    },
  };
}

/** occupied/vacated alternate, starting with occupied; added/removed alternate per user. */
function checkTransitions(events: ReceivedEvent[]) {
  for (const channel of new Set(events.filter((e) => e.channel).map((e) => e.channel as string))) {
    const seq = ofKey(events, channel);
    const occ = seq.filter((e) => e.type === 'channel_occupied' || e.type === 'channel_vacated').map((e) => e.type);
    occ.forEach((t, i) =>
      assert.equal(t, i % 2 === 0 ? 'channel_occupied' : 'channel_vacated', `${channel}: ${occ.join(',')}`),
    );
    const byUser = new Map<string, string[]>();
    for (const e of seq)
      if (e.type === 'member_added' || e.type === 'member_removed')
        (byUser.get(e.user) ?? byUser.set(e.user, []).get(e.user)!).push(e.type);
    for (const [user, list] of byUser)
      list.forEach((t, i) =>
        assert.equal(t, i % 2 === 0 ? 'member_added' : 'member_removed', `${channel} ${user}: ${list.join(',')}`),
      );
  }
}

for (const [title, backplane] of [
  ['Redis', REDIS],
  ['NATS', { nats: [NATS] }],
] as const) {
  describe(`webhooks on 3 nodes on ${title}, one SIGKILLed mid-stream`, { timeout: 120_000 }, () => {
    let nodes: Node[] = [];
    const clients: TestClient[] = [];
    let audit: Awaited<ReturnType<typeof auditor>> | undefined;
    after(async () => {
      for (const c of clients) c.close().catch(() => {});
      await stopNodes(nodes);
      await audit?.engine.close();
    });

    it('loses no stored event; the dead node’s subscribers, members and channels end within the bound', async () => {
      const receiver = await startReceiver();
      receiver.delayMs = 20;
      nodes = await startNodes(3, backplane, {
        webhooks: [
          {
            url: receiver.url,
            secret: receiver.secret,
            windowMs: 10,
            retryBaseMs: 50,
            retryMaxMs: 500,
            maxInFlight: 4,
          },
        ],
        lifecycle: LIFECYCLE,
      });
      const [a, b, doomed] = nodes;
      audit = await auditor(backplane, doomed.prefix);
      // On the doomed node: the only subscriber of feed:alone, and dave's only connection in feed:shared.
      const dave = await client(doomed, 'dave');
      await dave.command('subscribe', { channel: 'feed:alone' });
      await dave.command('subscribe', { channel: 'feed:shared' });
      const erin = await client(a, 'erin');
      await erin.command('subscribe', { channel: 'feed:shared' });
      const tab = await client(doomed, 'erin'); // a second tab of erin's, on the doomed node
      await tab.command('subscribe', { channel: 'feed:shared' });
      clients.push(dave, erin, tab);

      // Mid-stream: clients come and go on every node while the doomed one dies.
      let running = true;
      let cycles = 0;
      const churn = (async () => {
        for (let i = 0; running; i++) {
          // Once the doomed node is dead, its share of the churn goes to another.
          const node = nodes[i % 3] === doomed && doomed.child.signalCode !== null ? b : nodes[i % 3];
          const c = await client(node, `u${i % 9}`).catch(() => undefined);
          if (!c) continue;
          await c.command('subscribe', { channel: `feed:c${i % 6}` }).catch(() => {});
          cycles++;
          if (node !== doomed) await c.close();
          else clients.push(c);
        }
      })();
      await sleep(1500);
      doomed.child.kill('SIGKILL');
      const killedAt = Date.now();
      await sleep(1500);
      running = false;
      await churn;

      const goneOf = (e: ReceivedEvent) => e.reason === 'node-gone';
      await receiver.until(
        (ev) =>
          ev.some((e) => e.type === 'channel_vacated' && e.channel === 'feed:alone') &&
          ev.some((e) => e.type === 'member_removed' && e.user === 'dave'),
        BOUND_MS + 10_000,
      );
      const endedAt = Math.max(
        ...['feed:alone', 'feed:shared'].map((ch) => {
          const seq = ofKey(receiver.events, ch);
          return Math.max(
            ...seq
              .filter((e) => goneOf(e) || e.type === 'channel_vacated' || e.type === 'member_removed')
              .map((e) => e.time),
          );
        }),
      );
      // Everything stored arrives: wait for the takeover of the dead node's partitions.
      let all = await audit.stored();
      await receiver.until((ev) => tally(all, ev).lost === 0, 20_000).catch(() => {});
      all = await audit.stored();
      const result = tally(all, receiver.events);
      assert.equal(result.lost, 0, 'every stored event delivered');
      assert.equal(receiver.stats.rejected, 0);

      const alone = ofKey(receiver.events, 'feed:alone').map((e) => `${e.type}${e.reason ? ` ${e.reason}` : ''}`);
      assert.deepEqual(alone, [
        'channel_occupied',
        'subscribe',
        'member_added',
        'unsubscribe node-gone',
        'member_removed',
        'channel_vacated',
      ]);
      const shared = ofKey(receiver.events, 'feed:shared');
      assert.ok(
        shared.some((e) => e.type === 'unsubscribe' && e.user === 'erin' && goneOf(e)),
        'erin’s doomed tab unsubscribed',
      );
      assert.ok(
        !shared.some((e) => e.type === 'member_removed' && e.user === 'erin'),
        'erin stays a member: her other tab lives',
      );
      assert.ok(!shared.some((e) => e.type === 'channel_vacated'), 'feed:shared keeps a subscriber');
      const daveGone = ofKey(receiver.events, 'user:dave').map((e) => `${e.type}${e.reason ? ` ${e.reason}` : ''}`);
      assert.deepEqual(daveGone, ['connect', 'disconnect node-gone']);
      checkTransitions(receiver.events);
      const lag = endedAt - killedAt;
      assert.ok(lag <= BOUND_MS, `node-gone events ${lag} ms after the kill (bound ${BOUND_MS} ms)`);
      const gone = receiver.events.filter(goneOf).length;
      console.log(
        `# 3 nodes on ${title}, one SIGKILLed: ${cycles} churn cycles; stored ${result.emitted}, ` +
          `delivered ${result.delivered}, duplicates ${result.duplicates}, lost ${result.lost}; ${gone} ` +
          `node-gone events, the last ${lag} ms after the kill (bound ${BOUND_MS} ms)`,
      );
      await receiver.close();
    });
  });
}
