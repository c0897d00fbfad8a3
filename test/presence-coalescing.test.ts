// Presence coalescing (namespace `joinLeaveWindowMs`, docs/operations.md): within one window a join and a leave of
// one connection cancel out, a leave then a join of one connection both stay (leaves apply first); and the SDK, fed
// those batched `presence` pushes over a real WebSocket, ends with exactly the presence the server holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Client } from '@switchboard/client';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { TestClient } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { applyPresenceDiff, presenceFromList, type ClientInfo, type PresenceState, type Push } from '@switchboard/wire';

const WINDOW_MS = 150;

describe('presence coalescing', () => {
  let server: SwitchboardServer;
  let url: string;
  before(async () => {
    server = createServer({
      allowAnonymous: true,
      commandRate: false,
      namespaces: { room: { presence: true, joinLeave: true, joinLeaveWindowMs: WINDOW_MS } },
    });
    url = `ws://127.0.0.1:${(await server.listen(0)).port}/connection/websocket`;
  });
  after(() => server.close());

  const member = async (): Promise<TestClient & { id: string }> => {
    const c = await TestClient.open(url);
    const { client } = await c.connect();
    return Object.assign(c, { id: client });
  };
  const presencePushes = (c: TestClient, channel: string, from = 0) =>
    c.pushes
      .slice(from)
      .filter(
        (p): p is Extract<Push, { push: 'join' | 'leave' | 'presence' }> =>
          (p.push === 'join' || p.push === 'leave' || p.push === 'presence') && p.channel === channel,
      );

  it('within one window: join + leave of one connection cancel out; leave + join of one both stay', async () => {
    const channel = 'room:cancel';
    const watcher = await member();
    await watcher.command('subscribe', { channel });
    const rejoiner = await member();
    await rejoiner.command('subscribe', { channel });
    await sleep(WINDOW_MS * 2);
    const from = watcher.pushes.length;
    // One window: `passer` joins and leaves, `stayer` joins, `rejoiner` leaves and joins again.
    const [passer, stayer] = [await member(), await member()];
    await passer.command('subscribe', { channel });
    await passer.command('unsubscribe', { channel });
    await stayer.command('subscribe', { channel });
    await rejoiner.command('unsubscribe', { channel });
    await rejoiner.command('subscribe', { channel });
    await sleep(WINDOW_MS * 3);
    const seen = presencePushes(watcher, channel, from);
    assert.equal(seen.length, 1, `one push for the window: ${JSON.stringify(seen)}`);
    const [diff] = seen as Extract<Push, { push: 'presence' }>[];
    assert.equal(diff.push, 'presence');
    assert.deepEqual(diff.joins.map((i) => i.clientId).sort(), [rejoiner.id, stayer.id].sort());
    assert.deepEqual(
      diff.leaves.map((i) => i.clientId),
      [rejoiner.id],
    );
    for (const c of [watcher, rejoiner, passer, stayer]) await c.close();
  });

  it('the SDK applies batched presence pushes exactly: its presence is the server’s after any churn', {
    timeout: 120_000,
  }, async () => {
    // A step: a member joins or leaves (if it can), or the window passes.
    type Step = { member: number; join: boolean } | 'wait';
    const step: fc.Arbitrary<Step> = fc.oneof(
      { arbitrary: fc.record({ member: fc.nat(3), join: fc.boolean() }), weight: 3 },
      { arbitrary: fc.constant('wait' as const), weight: 1 },
    );
    // Always also: one that was present leaves and joins again within a window.
    const rejoin: Step[] = [{ member: 0, join: true }, 'wait', { member: 0, join: false }, { member: 0, join: true }];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 24 }), async (steps) => {
        const channel = `room:sdk-${run++}`;
        const sdk = new Client(url, { WebSocket });
        let state: PresenceState = new Map();
        let events = 0;
        const sub = sdk.subscribe(channel);
        sub.on('join', (e) => ((state = applyPresenceDiff(state, e)), events++));
        sub.on('leave', (e) => ((state = applyPresenceDiff(state, e)), events++));
        sdk.connect();
        await new Promise<void>((resolve) => sub.on('state', (e) => e.state === 'subscribed' && resolve()));
        state = presenceFromList(await sdk.presence(channel));
        const members = await Promise.all(Array.from({ length: 4 }, member));
        const joined = new Set<number>();
        for (const s of steps) {
          if (s === 'wait') await sleep(WINDOW_MS);
          else if (s.join !== joined.has(s.member)) {
            if (s.join) joined.add(s.member);
            else joined.delete(s.member);
            await members[s.member].command(s.join ? 'subscribe' : 'unsubscribe', { channel });
          }
        }
        const truth = (list: ClientInfo[]) => list.map((i) => i.clientId).sort();
        const expected = truth(await members[0].command('presence', { channel }).then((r) => r.clients));
        assert.deepEqual(expected.length, joined.size + 1, 'the server: the members joined and the SDK');
        // The last window's diff has been flushed and delivered.
        await sleep(WINDOW_MS * 2 + 50);
        assert.deepEqual(truth([...state.values()]), expected, `after ${events} join/leave events`);
        sdk.disconnect();
        for (const m of members) await m.close();
      }),
      { numRuns: 15, examples: [[rejoin]] },
    );
  });
});
