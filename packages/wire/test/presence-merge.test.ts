// Presence merging is a pure function of a snapshot and join/leave diffs, shared by server tests and the client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyPresenceDiff,
  presenceByUser,
  presenceFromList,
  type ClientInfo,
  type PresenceState,
} from '../src/index.js';

const info = (clientId: string, userId: string): ClientInfo => ({ clientId, userId });

describe('presence merge', () => {
  it('applies joins and leaves without mutating the state it was given', () => {
    const before = presenceFromList([info('c1', 'alice')]);
    const after = applyPresenceDiff(before, { push: 'join', channel: 'chat:a', info: info('c2', 'bob') });
    assert.deepEqual([...before.keys()], ['c1']);
    assert.deepEqual([...after.keys()], ['c1', 'c2']);
    const left = applyPresenceDiff(after, { push: 'leave', channel: 'chat:a', info: info('c1', 'alice') });
    assert.deepEqual([...left.keys()], ['c2']);
    assert.equal(applyPresenceDiff(left, { push: 'leave', channel: 'chat:a', info: info('zz', 'x') }).size, 1);
  });

  it('groups connections by user', () => {
    const state = presenceFromList([info('c1', 'alice'), info('c2', 'alice'), info('c3', 'bob')]);
    assert.deepEqual(
      [...presenceByUser(state)].map(([u, cs]) => [u, cs.length]),
      [
        ['alice', 2],
        ['bob', 1],
      ],
    );
  });

  it('property: any sequence of diffs equals a reference set of who joined last and has not left', () => {
    const diff = fc.record({
      join: fc.boolean(),
      client: fc.integer({ min: 0, max: 9 }),
      user: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(diff, { maxLength: 60 }), (diffs) => {
        let state: PresenceState = presenceFromList([]);
        const model = new Map<string, string>();
        for (const d of diffs) {
          const i = info(`c${d.client}`, `u${d.user}`);
          state = applyPresenceDiff(state, { push: d.join ? 'join' : 'leave', channel: 'chat:a', info: i });
          if (d.join) model.set(i.clientId, i.userId);
          else model.delete(i.clientId);
        }
        assert.deepEqual(new Map([...state].map(([c, e]) => [c, e.userId])), model);
      }),
      { numRuns: 1000 },
    );
  });
});
