// Recovery end to end over real sockets: a missed stretch is replayed whole, or the answer is `recovered: false`. Never
// partial.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '@switchboard/testing';
import type { SubscribeResult } from '@switchboard/wire';

describe('recovery', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      namespaces: {
        room: { history: { size: 100, ttlMs: 60_000 } },
        short: { history: { size: 10, ttlMs: 60_000 } },
        capped: { history: { size: 100, ttlMs: 60_000 }, maxRecoveredPublications: 20 },
      },
    });
  });
  after(() => t.close());

  const publish = async (channel: string, from: number, to: number) => {
    for (let i = from; i <= to; i++) await t.api('publish', { channel, data: i });
  };

  it('replays all 50 missed publications in order, then goes live with no gap and no duplicate', async () => {
    const a = await t.client({ subs: { 'room:r1': {} } });
    await publish('room:r1', 1, 5);
    await a.expectPublication('room:r1', 5);
    const last = a.publications('room:r1').at(-1)!;
    await a.close();

    await publish('room:r1', 6, 55);
    // Publications racing the resubscribe must follow the replay, each once.
    const racing = (async () => {
      for (let i = 56; i <= 60; i++) await t.api('publish', { channel: 'room:r1', data: i });
    })();
    const b = await t.client({ subs: { 'room:r1': { since: { offset: last.offset, epoch: last.epoch } } } });
    await racing;
    await b.expectPublication('room:r1', 60);
    const sub = b.connected!.subs['room:r1'] as SubscribeResult;
    assert.equal(sub.recovered, true);
    const replayed = sub.publications!.map((p) => p.data as number);
    const live = b.publications('room:r1').map((p) => p.data as number);
    console.log(
      `recovered: true, ${replayed.length} replayed (${replayed[0]}…${replayed.at(-1)}), ${live.length} ` +
        `live after (${live.join(', ')})`,
    );
    assert.ok(replayed.length >= 50, 'all 50 missed are in the replay');
    assert.deepEqual(
      [...replayed, ...live],
      Array.from({ length: 55 }, (_, i) => i + 6),
      'every number 6…60 once, in order',
    );
    await b.close();
  });

  it('answers recovered: false with the current position when history was trimmed', async () => {
    const a = await t.client({ subs: { 'short:r2': {} } });
    await publish('short:r2', 1, 3);
    await a.expectPublication('short:r2', 3);
    const last = a.publications('short:r2').at(-1)!;
    await a.close();
    await publish('short:r2', 4, 20);
    const b = await t.client({ subs: { 'short:r2': { since: { offset: last.offset, epoch: last.epoch } } } });
    const sub = b.connected!.subs['short:r2'] as SubscribeResult;
    console.log(`trimmed: ${JSON.stringify(sub)}`);
    assert.deepEqual(sub, { recovered: false, position: { offset: 20, epoch: last.epoch } });
    await b.close();
  });

  it('answers recovered: false for a foreign epoch, and for more than maxRecoveredPublications', async () => {
    await publish('room:r3', 1, 2);
    const a = await t.client();
    const foreign = (await a.command('subscribe', {
      channel: 'room:r3',
      since: { offset: 1, epoch: 'not-this' },
    })) as SubscribeResult;
    assert.equal(foreign.recovered, false);
    assert.equal(foreign.position!.offset, 2);
    assert.equal(foreign.publications, undefined, 'never a partial replay');

    const start = (await a.command('subscribe', { channel: 'capped:r4' })) as SubscribeResult;
    await a.command('unsubscribe', { channel: 'capped:r4' });
    await publish('capped:r4', 1, 21);
    const capped = (await a.command('subscribe', { channel: 'capped:r4', since: start.position })) as SubscribeResult;
    assert.deepEqual([capped.recovered, capped.position!.offset], [false, 21]);
    await a.command('unsubscribe', { channel: 'capped:r4' });
    const within = (await a.command('subscribe', {
      channel: 'capped:r4',
      since: { offset: 1, epoch: start.position!.epoch },
    })) as SubscribeResult;
    assert.deepEqual([within.recovered, within.publications!.length], [true, 20]);
    await a.close();
  });

  it('lets a subscriber that joined before the first publication recover from offset 0', async () => {
    const a = await t.client({ subs: { 'room:r5': {} } });
    const position = (a.connected!.subs['room:r5'] as SubscribeResult).position!;
    assert.equal(position.offset, 0);
    assert.ok(position.epoch.length > 0, 'the stream exists from the first subscribe');
    await a.close();
    await publish('room:r5', 1, 3);
    const b = await t.client({ subs: { 'room:r5': { since: position } } });
    const sub = b.connected!.subs['room:r5'] as SubscribeResult;
    assert.deepEqual([sub.recovered, sub.publications!.map((p) => p.data)], [true, [1, 2, 3]]);
    await b.close();
  });

  it('keeps a server-restart epoch change from passing as recovery', async () => {
    await publish('room:r6', 1, 3);
    const before = (await t.api('history', { channel: 'room:r6', limit: 0 })).body.position;
    await t.api('history_remove', { channel: 'room:r6' });
    await publish('room:r6', 1, 1);
    const b = await t.client({ subs: { 'room:r6': { since: before } } });
    const sub = b.connected!.subs['room:r6'] as SubscribeResult;
    assert.equal(sub.recovered, false);
    assert.notEqual(sub.position!.epoch, before.epoch);
    await b.close();
  });
});
