// PresenceTracker across three nodes of one in-process memory cluster: entries
// with a TTL refreshed by their node, and join/leave pushed to every node's subscribers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryCluster } from '@switchboard/engine-memory';
import { RecordingSession, channelOf, startNode, until, type TestNode } from './helpers/cluster-nodes.js';

describe('PresenceTracker (3 nodes, no socket)', () => {
  const shared = new MemoryCluster();
  let nodes: TestNode[];
  before(async () => {
    nodes = [];
    for (const id of ['a', 'b', 'c']) nodes.push(await startNode(shared, id));
  });
  after(() => Promise.all(nodes.map((n) => n.close())));

  it(
    'presence: a join on one node is stored for all and ' + "pushed to every node's subscribers; the leave too",
    async () => {
      const channel = channelOf('room:p', { presence: true, joinLeave: true });
      const watchers = [new RecordingSession('w1', 'x'), new RecordingSession('w2', 'y')];
      await nodes[1].hub.subscribe('room:p', watchers[0]);
      await nodes[2].hub.subscribe('room:p', watchers[1]);
      const entry = { clientId: 'j1', userId: 'joiner' };
      await nodes[0].presence.join(channel, entry);
      assert.deepEqual(await nodes[2].engine.presence.get('room:p'), [entry]);
      await until(() => watchers.every((w) => w.pushes.length === 1), 'join pushed');
      for (const w of watchers) assert.deepEqual(w.pushes[0], { push: 'join', channel: 'room:p', info: entry });
      // Refreshed by its node, the entry outlives its TTL (150 ms).
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(await nodes[1].engine.presence.get('room:p'), [entry]);
      await nodes[0].presence.leave(channel, entry);
      assert.deepEqual(await nodes[1].engine.presence.get('room:p'), []);
      await until(() => watchers.every((w) => w.pushes.length === 2), 'leave pushed');
      assert.deepEqual(watchers[0].pushes[1], { push: 'leave', channel: 'room:p', info: entry });
    },
  );

  it('counts-only channels store entries but push no join or leave; a closing node waits for its leaves', async () => {
    const channel = channelOf('room:q', { presence: true, presenceMode: 'counts' });
    const watcher = new RecordingSession('w3', 'z');
    await nodes[1].hub.subscribe('room:q', watcher);
    const entries = [
      { clientId: 'k1', userId: 'u1' },
      { clientId: 'k2', userId: 'u1' },
      { clientId: 'k3', userId: 'u2' },
    ];
    for (const e of entries) await nodes[2].presence.join(channel, e);
    assert.deepEqual(await nodes[0].engine.presence.stats('room:q'), { clients: 3, users: 2 });
    for (const e of entries) void nodes[2].presence.leave(channel, e);
    await nodes[2].presence.stop();
    assert.deepEqual(await nodes[0].engine.presence.stats('room:q'), { clients: 0, users: 0 });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(watcher.pushes, []);
  });

  it("a dead node's entries expire with their TTL: nothing refreshes them", async () => {
    const shared2 = new MemoryCluster();
    const [live, doomed] = [await startNode(shared2, 'live', 100), await startNode(shared2, 'doomed', 100)];
    shared2.retain(20);
    try {
      await doomed.presence.join(channelOf('room:d', { presence: true }), { clientId: 'd1', userId: 'd' });
      await doomed.presence.stop(); // its refresh timer stops, as when the process dies
      assert.equal((await live.engine.presence.get('room:d')).length, 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await live.engine.presence.get('room:d'), []);
    } finally {
      shared2.release();
      await live.close();
      await doomed.close();
    }
  });
});
