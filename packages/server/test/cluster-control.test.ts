// ClusterControl across three nodes of one in-process memory cluster:
// discovery, surveys, user-directed commands and checked control messages, with no socket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryCluster } from '@switchboard/engine-memory';
import { RecordingSession, startNode, until, type TestNode } from './helpers/cluster-nodes.js';

describe('ClusterControl (3 nodes, no socket)', () => {
  const shared = new MemoryCluster();
  let nodes: TestNode[];
  before(async () => {
    nodes = [];
    for (const id of ['a', 'b', 'c']) nodes.push(await startNode(shared, id));
  });
  after(() => Promise.all(nodes.map((n) => n.close())));

  it('every node knows every other at once: a newcomer is answered, not left to the next announce', async () => {
    await until(() => nodes.every((n) => n.cluster.liveNodes().length === 3), 'all nodes discovered');
    assert.deepEqual(
      nodes[2].cluster
        .liveNodes()
        .map((n) => n.nodeId)
        .sort(),
      ['a', 'b', 'c'],
    );
  });

  it("a survey gathers every node's answer", async () => {
    const subs = [new RecordingSession('s1', 'u'), new RecordingSession('s2', 'u'), new RecordingSession('s3', 'v')];
    await nodes[0].hub.subscribe('room:1', subs[0]);
    await nodes[1].hub.subscribe('room:1', subs[1]);
    await nodes[2].hub.subscribe('room:2', subs[2]);
    const answers = await nodes[0].cluster.survey('channels');
    assert.deepEqual(Object.fromEntries(answers), { a: { 'room:1': 1 }, b: { 'room:1': 1 }, c: { 'room:2': 1 } });
    nodes[0].hub.unsubscribe('room:1', subs[0]);
    nodes[1].hub.unsubscribe('room:1', subs[1]);
    nodes[2].hub.unsubscribe('room:2', subs[2]);
  });

  it(
    "a stats survey gathers every node's (asynchronous) figures; a drain goes to the named node only, " +
      '-1 meaning its own option',
    async () => {
      const stats = await nodes[1].cluster.survey('stats');
      assert.deepEqual(Object.fromEntries(stats), {
        a: { node: 'a', sessions: 0 },
        b: { node: 'b', sessions: 0 },
        c: { node: 'c', sessions: 0 },
      });
      await nodes[0].cluster.drainNode('c', { code: 1012, batchSize: 10, intervalMs: -1, reconnectWindowMs: 0 });
      await until(() => nodes[2].drains.length === 1, 'drain delivered');
      assert.deepEqual(nodes[2].drains, [{ code: 1012, batchSize: 10, intervalMs: undefined, reconnectWindowMs: 0 }]);
      assert.deepEqual([nodes[0].drains, nodes[1].drains], [[], []]);
    },
  );

  it("user-directed commands reach that user's sessions on every node, and no one else's", async () => {
    const alice = [new RecordingSession('a1', 'alice'), new RecordingSession('a2', 'alice')];
    const bob = new RecordingSession('b1', 'bob');
    nodes[0].sessions.add(alice[0]);
    nodes[0].sessions.identify(alice[0]);
    nodes[2].sessions.add(alice[1]);
    nodes[2].sessions.identify(alice[1]);
    nodes[1].sessions.add(bob);
    nodes[1].sessions.identify(bob);
    await nodes[1].cluster.broadcast('message', { userId: 'alice', data: { hi: 1 } });
    await nodes[1].cluster.broadcast('unsubscribe', { userId: 'alice', channel: 'room:1', code: 3503, reason: 'bye' });
    await nodes[1].cluster.broadcast('disconnect', { userId: 'alice', code: 3011, reason: 'reconnect' });
    await until(() => alice.every((s) => s.closes.length === 1), 'disconnect delivered');
    for (const s of alice) {
      assert.deepEqual(s.pushes, [{ push: 'message', data: { hi: 1 } }]);
      assert.deepEqual(s.unsubscribed, [['room:1', 3503]]);
      assert.deepEqual(s.closes, [[3011, 'reconnect']]);
    }
    assert.deepEqual([bob.pushes, bob.closes], [[], []]);
  });

  it('ignores and logs a control message of an unknown type or the wrong shape', async () => {
    const carol = new RecordingSession('c1', 'carol');
    nodes[0].sessions.add(carol);
    nodes[0].sessions.identify(carol);
    await nodes[1].engine.control.broadcast('disconnect', { userId: 'carol', code: '3011', reason: 'not a number' });
    await nodes[1].engine.control.broadcast('join', { channel: 'room:1', info: { clientId: 7 } });
    await nodes[1].engine.control.broadcast('no-such-type', {});
    await until(() => nodes[0].warnings.length >= 3, 'warnings logged');
    assert.deepEqual(carol.closes, []);
    assert.ok(nodes[0].warnings.every((w) => w === 'unknown or malformed control message'));
  });
});
