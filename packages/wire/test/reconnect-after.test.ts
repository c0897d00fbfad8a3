// The reconnect-after window in a close reason: written by the server, read by every client (browsers see only the
// reason).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReconnectAfter, withReconnectAfter } from '../src/index.js';

describe('reconnect-after in the close reason', () => {
  it('round-trips a window, alone or after a reason', () => {
    assert.equal(
      withReconnectAfter('draining', { minMs: 2000, maxMs: 12_000 }),
      'draining; reconnect-after=2000-12000',
    );
    assert.deepEqual(parseReconnectAfter(withReconnectAfter('draining', { minMs: 2000, maxMs: 12_000 })), {
      minMs: 2000,
      maxMs: 12_000,
    });
    assert.deepEqual(parseReconnectAfter(withReconnectAfter('', { minMs: 0, maxMs: 5 })), { minMs: 0, maxMs: 5 });
  });

  it('reads a single delay D as the window [D, 2D]', () => {
    assert.deepEqual(parseReconnectAfter('overloaded reconnect-after=3000'), { minMs: 3000, maxMs: 6000 });
  });

  it('ignores reasons without a well-formed hint', () => {
    for (const reason of [
      '',
      'bye',
      'reconnect-after=',
      'reconnect-after=x',
      'reconnect-after=9-3',
      'xreconnect-after=5',
      'reconnect-after=5ms',
    ]) {
      assert.equal(parseReconnectAfter(reason), undefined, reason);
    }
  });
});
