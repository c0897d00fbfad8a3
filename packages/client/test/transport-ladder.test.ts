// The fallback ladder as a state machine (sans-I/O): zero-delay steps are bounded by the ladder's
// length whatever happens, and once a transport has worked the client stays on it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TransportLadder } from '../src/transports/transport-ladder.js';

const NAMES = ['websocket', 'http-stream', 'sse', 'long-poll'] as const;

describe('TransportLadder', () => {
  it('walks down at once until one works, then stays on it', () => {
    const ladder = new TransportLadder(NAMES);
    assert.equal(ladder.current, 'websocket');
    assert.equal(ladder.failedBeforeOpen(), true);
    assert.equal(ladder.current, 'http-stream');
    ladder.opened();
    assert.equal(ladder.failedBeforeOpen(), false); // normal backoff, same transport
    assert.equal(ladder.current, 'http-stream');
    assert.equal(ladder.better, 'websocket');
    ladder.moveUp();
    assert.equal(ladder.current, 'websocket');
    assert.equal(ladder.failedBeforeOpen(), true); // the probe's transport failed: back to what worked, once
    assert.equal(ladder.current, 'http-stream');
    assert.equal(ladder.failedBeforeOpen(), false);
  });

  it('past the last rung it starts over from the top after a backoff (no zero-delay step)', () => {
    const ladder = new TransportLadder(NAMES);
    for (let i = 0; i < NAMES.length - 1; i++) assert.equal(ladder.failedBeforeOpen(), true);
    assert.equal(ladder.failedBeforeOpen(), false);
    assert.equal(ladder.current, 'websocket');
  });

  it('property: consecutive zero-delay steps never exceed the ladder length', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('fail', 'opened', 'moveUp'), { maxLength: 300 }), (events) => {
        const ladder = new TransportLadder(NAMES);
        let run = 0;
        for (const e of events) {
          if (e === 'fail') {
            run = ladder.failedBeforeOpen() ? run + 1 : 0;
            assert.ok(run < NAMES.length, `${run} zero-delay steps in a row`);
          } else if (e === 'opened') {
            ladder.opened();
            run = 0;
          } else if (ladder.better) {
            ladder.moveUp();
            run = 0;
          }
          assert.ok(NAMES.includes(ladder.current));
        }
      }),
    );
  });

  it('refuses an empty ladder', () => {
    assert.throws(() => new TransportLadder([]), /at least one transport/);
  });
});
