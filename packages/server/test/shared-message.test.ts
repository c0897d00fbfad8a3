// SharedMessage: each transport family frames a shared message once, whatever the number of sessions and families.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedMessage, type FrameCache } from '../src/transports/transport.js';

describe('SharedMessage.framed', () => {
  it('frames once per cache, and keeps each cache its own value', () => {
    const message = new SharedMessage(new TextEncoder().encode('{"push":"ping"}'), { push: 'ping' });
    const calls: string[] = [];
    const cache = (name: string): FrameCache<string> => ({
      frame: (m) => (calls.push(name), `${name}:${new TextDecoder().decode(m.bytes)}`),
    });
    const [a, b, c] = [cache('a'), cache('b'), cache('c')];
    const seen = [a, b, a, c, b, a, c].map((k) => message.framed(k));
    assert.deepEqual(seen, [
      'a:{"push":"ping"}',
      'b:{"push":"ping"}',
      'a:{"push":"ping"}',
      'c:{"push":"ping"}',
      'b:{"push":"ping"}',
      'a:{"push":"ping"}',
      'c:{"push":"ping"}',
    ]);
    assert.deepEqual(calls, ['a', 'b', 'c']);
  });
});
