// The JSON codec: every command round-trips, malformed input gets a WireError (never another exception).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DisconnectCode, JsonCodec, ReconnectAdvice, WireError, reconnectAdvice, type Command } from '../src/index.js';

const codec = new JsonCodec({ maxBatch: 5 });
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const decode = (v: unknown) => codec.decodeCommands(bytes(v));
/** The error a message or its one bad command produced. */
const failure = (v: unknown): unknown => {
  try {
    return decode(v).find((c) => c instanceof WireError);
  } catch (error) {
    return error;
  }
};

const VALID: Command[] = [
  {
    id: 1,
    method: 'connect',
    params: {
      token: 't',
      name: 'js',
      version: '0.1',
      reconnect: true,
      subs: { 'chat:a': { since: { offset: 5, epoch: 'e1' } }, 'chat:b': {} },
    },
  },
  { id: 2, method: 'subscribe', params: { channel: 'chat:a', since: { offset: 0, epoch: '' } } },
  { id: 3, method: 'unsubscribe', params: { channel: 'chat:a' } },
  { id: 4, method: 'publish', params: { channel: 'chat:a', data: { text: 'hi' }, idempotencyKey: 'k' } },
  { id: 5, method: 'history', params: { channel: 'chat:a', limit: 10, reverse: true } },
  { id: 6, method: 'presence', params: { channel: 'chat:a' } },
  { id: 7, method: 'presence_stats', params: { channel: 'chat:a' } },
  { id: 8, method: 'rpc', params: { method: 'getUser', data: null } },
  { id: 9, method: 'refresh', params: { token: 'new' } },
  { id: 10, method: 'ping', params: {} },
  { id: undefined, method: 'send', params: { data: [1, 2] } },
];

describe('JSON codec (switchboard.v1.json)', () => {
  it('decodes every command, alone and batched', () => {
    for (const command of VALID) {
      const { id, ...rest } = command;
      assert.deepEqual(decode(id === undefined ? rest : command), [command]);
    }
    assert.deepEqual(decode(VALID.slice(0, 5)), VALID.slice(0, 5));
  });

  const bad: [string, unknown, number | undefined][] = [
    ['not JSON', '{"id":1,', undefined],
    ['a string', '"hello"', undefined],
    ['an empty batch', [], undefined],
    ['a batch over maxBatch', Array.from({ length: 6 }, () => VALID[9]), undefined],
    ['an unknown method', { id: 3, method: 'explode', params: {} }, 3],
    ['a missing id', { method: 'ping', params: {} }, undefined],
    ['a zero id', { id: 0, method: 'ping', params: {} }, undefined],
    ['an id on send', { id: 4, method: 'send', params: { data: 1 } }, 4],
    ['params that are not an object', { id: 5, method: 'ping', params: [1] }, 5],
    ['a missing channel', { id: 6, method: 'subscribe', params: {} }, 6],
    ['an empty channel', { id: 7, method: 'publish', params: { channel: '', data: 1 } }, 7],
    ['publish without data', { id: 8, method: 'publish', params: { channel: 'c' } }, 8],
    ['a bad since', { id: 9, method: 'subscribe', params: { channel: 'c', since: { offset: -1, epoch: 'e' } } }, 9],
    ['a bad limit', { id: 10, method: 'history', params: { channel: 'c', limit: 1.5 } }, 10],
    ['bad subs', { id: 11, method: 'connect', params: { subs: { a: 1 } } }, 11],
    ['a numeric token', { id: 12, method: 'refresh', params: { token: 5 } }, 12],
  ];
  for (const [name, input, id] of bad) {
    it(`rejects ${name} with a WireError${id ? ` naming id ${id}` : ''}`, () => {
      const e = failure(input);
      assert.ok(e instanceof WireError && e.code === 'SB_ERR_MALFORMED_COMMAND' && e.id === id, String(e));
    });
  }

  it('keeps the good commands of a batch and puts each bad one in its place', () => {
    const out = decode([VALID[9], { id: 20, method: 'explode' }, VALID[2]]);
    assert.deepEqual(out[0], VALID[9]);
    assert.ok(out[1] instanceof WireError && out[1].id === 20);
    assert.deepEqual(out[2], VALID[2]);
  });

  it('rejects invalid UTF-8', () => {
    assert.throws(() => codec.decodeCommands(new Uint8Array([0x7b, 0xff, 0x7d])), WireError);
  });

  it('encodes replies and pushes as JSON text', () => {
    const reply = JSON.parse(
      new TextDecoder().decode(codec.encodeReply({ id: 4, error: { code: 103, message: 'permission denied' } })),
    );
    assert.deepEqual(reply, { id: 4, error: { code: 103, message: 'permission denied' } });
    const push = {
      push: 'publication',
      channel: 'chat:a',
      pub: { offset: 7, epoch: 'e1', data: { text: 'hi' } },
    } as const;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(codec.encodePush(push))), push);
  });

  it('arbitrary input gives commands or a WireError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map((j) => bytes(j)),
          fc.anything().map((a) => bytes(JSON.stringify(a) ?? 'null')),
        ),
        (input) => {
          try {
            codec.decodeCommands(input);
          } catch (error) {
            assert.ok(error instanceof WireError, String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('disconnect code ranges', () => {
  it('tell the client to reconnect, try later, or stop', () => {
    assert.equal(reconnectAdvice(DisconnectCode.Shutdown), ReconnectAdvice.Reconnect);
    assert.equal(reconnectAdvice(DisconnectCode.SlowConsumer), ReconnectAdvice.Reconnect);
    assert.equal(reconnectAdvice(DisconnectCode.Draining), ReconnectAdvice.TryLater);
    assert.equal(reconnectAdvice(DisconnectCode.InvalidToken), ReconnectAdvice.Terminal);
    assert.equal(reconnectAdvice(4200), ReconnectAdvice.Reconnect);
    assert.equal(reconnectAdvice(4700), ReconnectAdvice.Terminal);
    assert.equal(reconnectAdvice(1006), ReconnectAdvice.Reconnect);
    assert.equal(reconnectAdvice(1000), ReconnectAdvice.Reconnect);
    for (const code of Object.values(DisconnectCode)) assert.ok(code >= 3000 && code <= 3999);
  });
});
