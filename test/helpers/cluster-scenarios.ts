// The cluster scenarios every engine that spans processes runs (Redis, NATS): 3
// `serve` nodes together, and faults mid-stream with the app's view tallied.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';
import { AppSubscriber, LedgerPublisher, api, stopNodes, tally, type Node } from './cluster.js';
import { hs } from './jwt.js';
import { until } from './wait.js';

export type Open = (node: Node, token?: string) => Client;

/**
 * Three nodes started by `start`: cross-node order, presence, user-directed
 * messages and the API on any node. `more` adds engine-specific tests that share
 * the nodes.
 */
export function describeThreeNodes(
  title: string,
  start: () => Promise<Node[]>,
  more?: (nodes: () => Node[], open: Open) => void,
): void {
  describe(title, { timeout: 60_000 }, () => {
    let nodes: Node[];
    const clients: Client[] = [];
    before(async () => {
      nodes = await start();
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await stopNodes(nodes);
    });
    const open: Open = (node, token) => {
      const client = new Client(node.ws, { WebSocket, ...(token && { token }) });
      clients.push(client);
      client.connect();
      return client;
    };

    it('delivers a publication made at C to subscribers on A and B, in per-channel order', async () => {
      const [a, b, c] = nodes;
      const got = new Map<string, number[]>();
      for (const node of [a, b]) {
        const offsets: number[] = [];
        got.set(node.nodeId, offsets);
        const sub = open(node).subscribe('feed:order');
        sub.on('publication', (e) => offsets.push((e.data as { i: number }).i));
        await new Promise((resolve) => sub.on('state', (e) => e.state === 'subscribed' && resolve(null)));
      }
      for (let i = 1; i <= 300; i++)
        assert.equal((await api(c, 'publish', { channel: 'feed:order', data: { i } })).status, 200);
      await until(() => [...got.values()].every((l) => l.length === 300), 'both nodes’ subscribers got 300');
      const expected = Array.from({ length: 300 }, (_, i) => i + 1);
      for (const offsets of got.values()) assert.deepEqual(offsets, expected);
    });

    it('aggregates presence across nodes, and join/leave reach subscribers on every node', async () => {
      const [a, b, c] = nodes;
      const joins: string[] = [];
      const watcher = open(a).subscribe('feed:room');
      watcher.on('join', (e) => joins.push(e.info.clientId));
      await new Promise((resolve) => watcher.on('state', (e) => e.state === 'subscribed' && resolve(null)));
      const others = [open(b, await hs({ sub: 'bob' })), open(c, await hs({ sub: 'carol' }))];
      for (const o of others) o.subscribe('feed:room');
      const stats = async () => (await api(c, 'presence_stats', { channel: 'feed:room' })).body.clients;
      for (let i = 0; i < 100 && (await stats()) < 3; i++) await sleep(20);
      await until(() => joins.length >= 2, 'joins from B and C seen on A');
      for (const node of nodes) {
        const { body } = await api(node, 'presence_stats', { channel: 'feed:room' });
        assert.deepEqual(body, { clients: 3, users: 3 }, `presence_stats at ${node.nodeId}`);
      }
      const { body } = await api(c, 'presence', { channel: 'feed:room' });
      assert.deepEqual(body.clients.map((e: any) => e.userId).sort(), ['', 'bob', 'carol']);
    });

    it('reaches a user whose connections are on two other nodes, and disconnects them from a third', async () => {
      const [a, b, c] = nodes;
      const token = await hs({ sub: 'dana' });
      const messages: string[] = [];
      const danas = [open(a, token), open(b, token)];
      const onNodes: string[] = [];
      for (const d of danas) {
        d.on('message', (e) => messages.push(String(e.data)));
        d.on('connected', (e) => onNodes.push(e.node));
      }
      await until(() => onNodes.length === 2, 'dana connected on A and B');
      assert.deepEqual(onNodes.sort(), [a.nodeId, b.nodeId].sort());
      assert.equal((await api(c, 'send', { user: 'dana', data: 'hello from C' })).status, 200);
      await until(() => messages.length === 2, 'both of dana’s connections got the message');
      const closes: number[] = [];
      for (const d of danas) d.on('disconnected', (e) => closes.push(e.code));
      assert.equal((await api(c, 'disconnect', { user: 'dana', code: 4500, reason: 'bye' })).status, 200);
      await until(() => closes.length === 2, 'both of dana’s connections closed by C');
      assert.deepEqual(closes, [4500, 4500]);
    });

    more?.(() => nodes, open);

    it('answers the API on any node for channels held anywhere: channels, info, history', async () => {
      const [a, , c] = nodes;
      const { body: channels } = await api(c, 'channels');
      assert.equal(
        channels.channels['feed:order']?.subscribers,
        2,
        `feed:order counted over nodes: ${JSON.stringify(channels)}`,
      );
      const { body: info } = await api(a, 'info');
      assert.deepEqual(info.nodes.map((n: any) => n.nodeId).sort(), nodes.map((n) => n.nodeId).sort());
      const { body: history } = await api(a, 'history', { channel: 'feed:order', limit: 1, reverse: true });
      assert.deepEqual(
        history.publications.map((p: any) => p.data),
        [{ i: 300 }],
      );
    });
  });
}

/** SIGKILL of node B mid-stream: its clients move to A or C and recover from history with 0 loss and 0 duplicates. */
export async function nodeKilledMidStream(label: string, start: () => Promise<Node[]>): Promise<void> {
  let nodes = await start();
  const urls = nodes.map((n) => n.ws);
  const ledger = new LedgerPublisher(() => nodes, 'feed:kill');
  const subscribers = Array.from({ length: 30 }, () => new AppSubscriber(urls, 'feed:kill', ledger));
  try {
    await until(() => subscribers.every((s) => s.ready), 'all subscribed', 15_000);
    const [, b] = nodes;
    const onB = subscribers.filter((s) => s.nodes[0] === b.nodeId);
    assert.ok(onB.length > 0, 'some subscribers started on B');
    await ledger.run(1, 3000, 300, (seq) => {
      if (seq !== 1000) return;
      b.child.kill('SIGKILL');
      nodes = nodes.filter((n) => n !== b);
    });
    await until(() => subscribers.every((s) => s.state.size === 3000), 'every subscriber holds all 3000', 20_000).catch(
      () => {},
    );
    const t = tally(subscribers, ledger);
    console.log(
      `# [${label}] SIGKILL B at seq 1000 of 3000: ${onB.length}/30 subscribers were on B, ` +
        `moved to ${[...new Set(onB.map((s) => s.nodes.at(-1)))]
          .map((id) => `${id} ` + `(${onB.filter((s) => s.nodes.at(-1) === id).length})`)
          .join(', ')}` +
        `; ${JSON.stringify(t)}; publish retries ${JSON.stringify(Object.fromEntries(ledger.failures))}`,
    );
    assert.deepEqual([t.lost, t.duplicates, t.outOfOrder], [0, 0, 0]);
    assert.equal(t.snapshots, 0, 'recovery from history: no snapshot needed');
    for (const s of onB) {
      assert.equal(s.closes[0], 1006, 'B vanished without a close frame');
      assert.notEqual(s.nodes.at(-1), b.nodeId);
    }
  } finally {
    for (const s of subscribers) s.client.disconnect();
    await stopNodes(nodes);
  }
}

export interface BrokerFault {
  label: string;
  start: () => Promise<Node[]>;
  /** Runs at `seq` 500 of 1500 (may start a recovery in the background). */
  inject: () => Promise<void>;
  /** Whether the broker comes back without its data: then epochs change and every subscriber takes the gap path. */
  loses: boolean;
  /** Subscribers per node. @default 5 */
  perNode?: number;
}

/** The broker (or one of its servers) goes away mid-stream and comes back; the app ends with complete state. */
export async function brokerLostMidStream(fault: BrokerFault): Promise<void> {
  const nodes = await fault.start();
  const ledger = new LedgerPublisher(() => nodes, 'feed:restart');
  const subscribers = Array.from(
    { length: nodes.length * (fault.perNode ?? 5) },
    (_, i) => new AppSubscriber(nodes[i % nodes.length].ws, 'feed:restart', ledger),
  );
  try {
    await until(() => subscribers.every((s) => s.ready), 'all subscribed', 15_000);
    await ledger.run(1, 1500, 250, async (seq) => {
      if (seq === 500) await fault.inject();
    });
    await until(
      () => subscribers.every((s) => s.missing(ledger).length === 0),
      'every subscriber holds every acknowledged publication',
      20_000,
    ).catch(() => {});
    const t = tally(subscribers, ledger);
    console.log(
      `# [${fault.label}]: epochs ${[...ledger.epochs].join(' → ')}; ${JSON.stringify(t)}; ` +
        `publish retries ${JSON.stringify(Object.fromEntries(ledger.failures))}`,
    );
    assert.equal(
      ledger.epochs.size,
      fault.loses ? 2 : 1,
      fault.loses ? 'a new epoch after the restart' : 'the epoch survived',
    );
    assert.equal(t.lost, 0, 'no acknowledged publication is missing from any app state');
    assert.equal(t.duplicates, 0, 'the SDK delivered no offset twice');
    if (fault.loses)
      for (const s of subscribers)
        assert.ok(
          s.gaps >= 1 && s.snapshots >= 1,
          `subscriber took the gap path: gaps ${s.gaps}, snapshots ${s.snapshots}`,
        );
    else assert.equal(t.snapshots, 0, 'history held: recovery without snapshots');
  } finally {
    for (const s of subscribers) s.client.disconnect();
    await stopNodes(nodes);
  }
}

/** The broker frozen (SIGSTOP) for 5 s: publishes fail with 503/115, nothing crashes or closes, nothing is lost. */
export async function brokerFrozen(
  label: string,
  start: () => Promise<Node[]>,
  broker: { freeze(): void; thaw(): void },
): Promise<void> {
  const nodes = await start();
  const ledger = new LedgerPublisher(() => nodes, 'feed:frozen');
  const subscribers = Array.from(
    { length: 10 },
    (_, i) => new AppSubscriber(nodes[i % nodes.length].ws, 'feed:frozen', ledger),
  );
  try {
    await until(() => subscribers.every((s) => s.ready), 'all subscribed', 15_000);
    let thawedAt = 0;
    await ledger.run(1, 1000, 200, (seq) => {
      if (seq !== 300) return;
      broker.freeze();
      setTimeout(() => (broker.thaw(), (thawedAt = Date.now())), 5000);
    });
    await until(() => subscribers.every((s) => s.state.size === 1000), 'every subscriber holds all 1000', 20_000).catch(
      () => {},
    );
    const t = tally(subscribers, ledger);
    const health = await Promise.all(nodes.map((n) => fetch(`${n.base}/health`).then((r) => r.status)));
    console.log(
      `# [${label}] SIGSTOPped 5 s at seq 300 of 1000: ${JSON.stringify(t)}; publish failures while ` +
        `frozen ${JSON.stringify(Object.fromEntries(ledger.failures))}; ` +
        `closes ${subscribers.flatMap((s) => s.closes).length}; ` +
        `nodes alive ${nodes.filter((n) => n.child.exitCode === null).length}/${nodes.length}, /health ${health}`,
    );
    assert.ok(thawedAt > 0);
    assert.ok((ledger.failures.get('503 115') ?? 0) > 0, 'publishes failed with the documented 503 / 115 while frozen');
    assert.deepEqual([...ledger.failures.keys()], ['503 115']);
    assert.deepEqual([t.lost, t.duplicates, t.outOfOrder], [0, 0, 0]);
    assert.equal(subscribers.flatMap((s) => s.closes).length, 0, 'no connection was closed');
    assert.deepEqual(
      health,
      nodes.map(() => 200),
    );
  } finally {
    for (const s of subscribers) s.client.disconnect();
    await stopNodes(nodes);
  }
}
