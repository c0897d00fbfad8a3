// Channel names and namespace options: every refusal names what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelNameError, NAMESPACE_DEFAULTS, parseChannelName, resolveNamespaceOptions } from '../src/internal.js';

describe('channel names', () => {
  it('split namespace:name and recognise personal channels', () => {
    assert.deepEqual(parseChannelName('chat:lobby'), {
      channel: 'chat:lobby',
      namespace: 'chat',
      name: 'lobby',
      personalUserId: undefined,
    });
    assert.deepEqual(parseChannelName('user:#42'), {
      channel: 'user:#42',
      namespace: 'user',
      name: '#42',
      personalUserId: '42',
    });
    assert.equal(parseChannelName('prices:eu/fx.EURUSD').name, 'eu/fx.EURUSD');
  });

  for (const [bad, why] of [
    ['', /1–255/],
    ['x'.repeat(256), /1–255/],
    ['lobby', /namespace:name/],
    ['Chat:lobby', /invalid namespace/],
    [':lobby', /invalid namespace/],
    ['chat:', /invalid characters/],
    ['chat:lob by', /invalid characters/],
    ['chat:lobby:two', /invalid characters/],
    ['user:#', /names its user/],
  ] as const) {
    it(`refuses ${JSON.stringify(bad.length > 20 ? bad.slice(0, 20) + '…' : bad)}`, () => {
      assert.throws(
        () => parseChannelName(bad),
        (e: unknown) => e instanceof ChannelNameError && e.replyCode === 107 && why.test(e.message),
      );
    });
  }
});

describe('namespace options', () => {
  it('default to a plain pub/sub namespace', () => {
    assert.deepEqual(resolveNamespaceOptions('x', {}), NAMESPACE_DEFAULTS);
  });

  it('turn recovery on with history', () => {
    const chat = resolveNamespaceOptions('chat', {
      history: { size: 100, ttlMs: 60_000 },
      presence: true,
      joinLeave: true,
    });
    assert.equal(chat.recovery, true);
    assert.equal(chat.joinLeave, true);
  });

  for (const [options, why] of [
    [{ history: { size: 0, ttlMs: 1 } }, /history.size/],
    [{ history: { size: 1, ttlMs: -1 } }, /history.ttlMs/],
    [{ recovery: true }, /recovery needs history/],
    [{ joinLeave: true }, /joinLeave needs presence/],
    [{ maxSubscribers: -1 }, /maxSubscribers/],
    [{ presenceMode: 'some' }, /presenceMode/],
    [{ allowSubscribe: 'everyone' }, /allowSubscribe/],
  ] as const) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => resolveNamespaceOptions('chat', options as never),
        (e: unknown) => e instanceof TypeError && /namespace "chat"/.test(e.message) && why.test(e.message),
      );
    });
  }
});
