// Recovery merges history with the live publications buffered meanwhile: all of them, in order, once, or none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HistoryResult, Publication } from '@switchboard/engine';
import { RecoveryMerge } from '../src/internal.js';

const EPOCH = 'e1';
const pub = (offset: number, epoch = EPOCH): Publication => ({ channel: 'chat:x', offset, epoch, data: offset });
const history = (from: number, to: number, gap = false, epoch = EPOCH): HistoryResult => ({
  publications: Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => pub(from + i, epoch)),
  position: { offset: to, epoch },
  gap,
});

describe('RecoveryMerge', () => {
  it('joins history and the live buffer where they overlap, without duplicates', () => {
    const merge = new RecoveryMerge({ offset: 3, epoch: EPOCH }, 100);
    [6, 7, 8, 9].forEach((o) => merge.onLive(pub(o)));
    const outcome = merge.complete(history(4, 7));
    assert.ok(outcome.recovered);
    assert.deepEqual(
      outcome.publications.map((p) => p.offset),
      [4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(outcome.position, { offset: 9, epoch: EPOCH });
  });

  it('fails as a whole on a hole, a gap, a foreign epoch, a replaced stream or too many publications', () => {
    const holed = new RecoveryMerge({ offset: 3, epoch: EPOCH }, 100);
    holed.onLive(pub(9)); // 8 was lost between history (…7) and live
    assert.deepEqual(holed.complete(history(4, 7)), { recovered: false, position: { offset: 9, epoch: EPOCH } });
    assert.equal(new RecoveryMerge({ offset: 3, epoch: EPOCH }, 100).complete(history(4, 7, true)).recovered, false);
    assert.equal(new RecoveryMerge({ offset: 3, epoch: 'old' }, 100).complete(history(4, 7)).recovered, false);
    const replaced = new RecoveryMerge({ offset: 3, epoch: EPOCH }, 100);
    replaced.onLive(pub(1, 'e2'));
    assert.equal(replaced.complete(history(4, 7)).recovered, false);
    assert.equal(new RecoveryMerge({ offset: 3, epoch: EPOCH }, 2).complete(history(4, 7)).recovered, false);
  });

  it('an up-to-date client recovers nothing, successfully', () => {
    const outcome = new RecoveryMerge({ offset: 7, epoch: EPOCH }, 100).complete(history(1, 7));
    assert.deepEqual(outcome, { recovered: true, publications: [], position: { offset: 7, epoch: EPOCH } });
  });

  it('property: recovers exactly since+1…top in order when nothing is lost, and nothing otherwise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }), // since
        fc.integer({ min: 0, max: 50 }), // published while history was read
        fc.integer({ min: 0, max: 50 }), // history top (at read time) beyond since
        fc.integer({ min: 0, max: 10 }), // where the live buffer starts relative to the history top
        fc.boolean(), // duplicate some live deliveries
        (since, extra, read, liveShift, dup) => {
          const historyTop = since + read;
          const top = historyTop + extra;
          const liveFrom = Math.max(since + 1, historyTop + 1 - liveShift + (liveShift > 5 ? 7 : 0));
          const merge = new RecoveryMerge({ offset: since, epoch: EPOCH }, 1000);
          for (let o = liveFrom; o <= top; o++) {
            merge.onLive(pub(o));
            if (dup && o % 3 === 0) merge.onLive(pub(o));
          }
          const outcome = merge.complete(history(since + 1, historyTop));
          // A loss is visible only when a later live publication shows the hole; a loss at the
          // very end shows up as an offset gap on the next delivery instead.
          const liveArrived = top >= liveFrom;
          const lost = liveArrived && liveFrom > historyTop + 1;
          if (lost) {
            assert.equal(outcome.recovered, false);
          } else {
            assert.ok(outcome.recovered);
            assert.deepEqual(
              outcome.publications.map((p) => p.offset),
              Array.from({ length: (liveArrived ? top : historyTop) - since }, (_, i) => since + 1 + i),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
