// Appends to one channel run one at a time, in call order, whatever settles when
// and whether earlier ones failed; other channels are not held up; nothing stays behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AppendQueue } from '../src/append-queue.js';

describe('AppendQueue', () => {
  it('runs one append per channel at a time, in call order, failures included, and forgets idle channels', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ channel: fc.constantFrom('a', 'b', 'c'), delay: fc.nat(3), fails: fc.boolean() }), {
          maxLength: 30,
        }),
        async (calls) => {
          const queue = new AppendQueue();
          const running = new Map<string, number>();
          const started: Record<string, number[]> = {};
          const results = calls.map((call, i) =>
            queue
              .run(call.channel, async () => {
                assert.equal(running.get(call.channel) ?? 0, 0, `two appends to ${call.channel} at once`);
                running.set(call.channel, 1);
                (started[call.channel] ??= []).push(i);
                await new Promise((r) => setTimeout(r, call.delay));
                running.set(call.channel, 0);
                if (call.fails) throw new Error(`append ${i} failed`);
                return i;
              })
              .then(
                (value) => ({ ok: true, value }),
                (error: Error) => ({ ok: false, value: error.message }),
              ),
          );
          const settled = await Promise.all(results);
          settled.forEach((r, i) =>
            assert.deepEqual(r, calls[i].fails ? { ok: false, value: `append ${i} failed` } : { ok: true, value: i }),
          );
          for (const [channel, order] of Object.entries(started)) {
            assert.deepEqual(
              order,
              calls.flatMap((c, i) => (c.channel === channel ? [i] : [])),
              `call order on ${channel}`,
            );
          }
          await new Promise((r) => setImmediate(r));
          assert.equal((queue as unknown as { tails: Map<string, unknown> }).tails.size, 0, 'no idle channel kept');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not hold one channel up behind another', async () => {
    const queue = new AppendQueue();
    let release!: () => void;
    const slow = queue.run('a', () => new Promise<string>((r) => (release = () => r('a'))));
    assert.equal(await queue.run('b', async () => 'b'), 'b');
    release();
    assert.equal(await slow, 'a');
  });
});
