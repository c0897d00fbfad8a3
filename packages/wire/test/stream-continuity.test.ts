// The one continuity rule, against a model: a reader that applies it to any
// stream of positions delivers each offset of its epoch once, in order, and
// reports a gap exactly where offsets were skipped (beyond `skipped`) or the epoch changed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { continuity, type StreamPosition } from '@switchboard/wire';

const position = fc.record({ offset: fc.integer({ min: 1, max: 50 }), epoch: fc.constantFrom('a', 'b') });

describe('continuity', () => {
  it('names the three cases', () => {
    const last = { offset: 5, epoch: 'e' };
    assert.equal(continuity(last, { offset: 6, epoch: 'e' }), 'next');
    assert.equal(continuity(last, { offset: 5, epoch: 'e' }), 'seen');
    assert.equal(continuity(last, { offset: 1, epoch: 'e' }), 'seen');
    assert.equal(continuity(last, { offset: 7, epoch: 'e' }), 'gap');
    assert.equal(continuity(last, { offset: 8, epoch: 'e' }, 2), 'next');
    assert.equal(continuity(last, { offset: 6, epoch: 'f' }), 'gap');
    assert.equal(continuity(last, { offset: 1, epoch: 'f' }), 'gap', 'a new epoch is a gap even at offset 1');
  });

  it('is a total order check: exactly one case, decided by epoch and offset alone', () => {
    fc.assert(
      fc.property(position, position, fc.integer({ min: 0, max: 5 }), (last, next, skipped) => {
        const c = continuity(last, next, skipped);
        const expected =
          next.epoch !== last.epoch
            ? 'gap'
            : next.offset <= last.offset
              ? 'seen'
              : next.offset === last.offset + 1 + skipped
                ? 'next'
                : 'gap';
        assert.equal(c, expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('a reader that follows it sees each offset once, in order, and a gap wherever one was lost', () => {
    // A stream 1..n in one epoch, delivered with duplicates, reorderings and losses.
    const deliveries = fc
      .integer({ min: 1, max: 40 })
      .chain((n) => fc.array(fc.integer({ min: 1, max: n }), { maxLength: 3 * n }).map((offsets) => ({ n, offsets })));
    fc.assert(
      fc.property(deliveries, ({ offsets }) => {
        let last: StreamPosition = { offset: 0, epoch: 'e' };
        const delivered: number[] = [];
        let gaps = 0;
        for (const offset of offsets) {
          const c = continuity(last, { offset, epoch: 'e' });
          if (c === 'next') {
            delivered.push(offset);
            last = { offset, epoch: 'e' };
          } else if (c === 'gap') {
            gaps++;
            // The documented gap path: recover from history up to here.
            for (let o = last.offset + 1; o <= offset; o++) delivered.push(o);
            last = { offset, epoch: 'e' };
          }
        }
        // Nothing twice, nothing out of order, nothing skipped up to the highest offset seen.
        assert.deepEqual(
          delivered,
          Array.from({ length: delivered.length }, (_, i) => i + 1),
        );
        const top = Math.max(0, ...offsets);
        assert.equal(delivered.length, top);
        // A gap is reported only when some offset arrived before its predecessor.
        const expectedGaps = (() => {
          let at = 0;
          let count = 0;
          for (const o of offsets) {
            if (o === at + 1) at = o;
            else if (o > at + 1) {
              count++;
              at = o;
            }
          }
          return count;
        })();
        assert.equal(gaps, expectedGaps);
      }),
      { numRuns: 1000 },
    );
  });
});
