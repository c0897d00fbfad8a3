// SlowConsumer over the memory transport: a client that stops reading builds a
// real send backlog, with no socket. Each namespace policy, then what the
// client holds once it reads again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelTest, type MemoryLink, type TestClient } from '@switchboard/testing';

const HISTORY = { size: 1000, ttlMs: 60_000 };
const CAP = 4096;
/** About 200 bytes a publication: 100 of them are about 5 caps. */
const payload = (i: number) => ({ i, pad: 'x'.repeat(160) });

describe('SlowConsumer (memory transport, no socket)', () => {
  let t: ChannelTest;
  before(async () => {
    t = await ChannelTest.start({
      maxSendBufferBytes: CAP,
      namespaces: {
        lossless: { history: HISTORY, backpressure: 'lossless' },
        latest: { history: HISTORY, backpressure: 'latest' },
        oldest: { history: HISTORY, backpressure: 'drop-oldest' },
        close: { history: HISTORY, backpressure: 'close' },
      },
    });
  });
  after(() => t.close());

  /** A subscriber that stops reading, gets `n` publications published at it, then reads again. */
  async function stall(channel: string, n: number): Promise<TestClient<MemoryLink>> {
    const c = await t.connect();
    await c.command('subscribe', { channel });
    c.link.pauseReading();
    for (let i = 1; i <= n; i++) await t.publish(channel, payload(i));
    return c;
  }

  const offsets = (c: TestClient, channel: string) => c.publications(channel).map((p) => p.offset);

  it('lossless: stops writing at the cap, then catches up from history: every offset once, in order', async () => {
    const c = await stall('lossless:a', 100);
    assert.ok(
      c.link.transport.bufferedAmount <= CAP + 400,
      `backlog ${c.link.transport.bufferedAmount} stays near the cap`,
    );
    c.link.resumeReading();
    await c.expectPush((p) => p.push === 'publication' && p.pub.offset === 100, 'offset 100');
    assert.deepEqual(
      offsets(c, 'lossless:a'),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });

  it('latest: holds only the newest, marked with how many it skipped', async () => {
    const c = await stall('latest:a', 100);
    c.link.resumeReading();
    const last = await c.expectPush((p) => p.push === 'publication' && p.pub.offset === 100, 'offset 100');
    const pubs = c.publications('latest:a');
    assert.ok(pubs.length < 100);
    assert.equal(
      pubs.reduce((n, p) => n + 1 + (p.skipped ?? 0), 0),
      100,
      'delivered + skipped = published',
    );
    assert.ok(last.push === 'publication' && (last.pub.skipped ?? 0) > 0);
  });

  it('drop-oldest: a queue of at most the cap; what was dropped is counted on the next one written', async () => {
    const c = await stall('oldest:a', 100);
    c.link.resumeReading();
    await c.expectPush((p) => p.push === 'publication' && p.pub.offset === 100, 'offset 100');
    const pubs = c.publications('oldest:a');
    assert.equal(
      pubs.reduce((n, p) => n + 1 + (p.skipped ?? 0), 0),
      100,
      'delivered + skipped = published',
    );
    assert.deepEqual(
      offsets(c, 'oldest:a'),
      [...offsets(c, 'oldest:a')].sort((a, b) => a - b),
      'in order',
    );
  });

  it('close: disconnects with 3008', async () => {
    const c = await stall('close:a', 100);
    c.link.resumeReading();
    assert.equal((await c.closed).code, 3008);
  });

  it('a fast consumer on the same channel is not held back', async () => {
    const fast = await t.connect();
    await fast.command('subscribe', { channel: 'lossless:b' });
    const slow = await stall('lossless:b', 50);
    assert.deepEqual(
      offsets(fast, 'lossless:b'),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    slow.link.resumeReading();
    await slow.expectPush((p) => p.push === 'publication' && p.pub.offset === 50, 'offset 50');
  });
});
