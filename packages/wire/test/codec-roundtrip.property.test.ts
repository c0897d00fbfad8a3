// Both codecs, both directions, as property tests: every command the client can encode is what the server
// decodes; every reply and push the server encodes is what the client decodes; data is the JSON data model plus
// bytes (Uint8Array), with `__proto__` keys and any Unicode. Malformed input only ever gets a WireError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  JsonCodec,
  Subprotocol,
  WireError,
  WireErrorCode,
  type Codec,
  type Command,
  type Push,
  type Reply,
} from '../src/index.js';
import { MsgpackCodec } from '../src/msgpack-codec.js';

const CODECS: Codec[] = [new JsonCodec(), new MsgpackCodec()];
const RUNS = { numRuns: 300 };
const toBytes = (m: string | Uint8Array) => (typeof m === 'string' ? new TextEncoder().encode(m) : m);

/** `{ $bytes: string }` alone is the JSON codec's reserved form for bytes (tested on its own below). */
const reserved = (o: Record<string, unknown>) => Object.keys(o).length === 1 && typeof o.$bytes === 'string';
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '$bytes', 'id', 'push'),
);
/** A dictionary with own keys only: `__proto__` is defined as data, never as the prototype. */
const dict = <T>(value: fc.Arbitrary<T>) =>
  fc.array(fc.tuple(key, value), { maxLength: 5 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    return o;
  });
const { data } = fc.letrec((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('data'), { maxLength: 4 }),
    dict(tie('data')).filter((o) => !reserved(o)),
  ),
}));

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const id = fc.integer({ min: 1, max: 2 ** 31 });
const position = fc.record({ offset: fc.nat(), epoch: fc.string({ maxLength: 8 }) });
const clientInfo = fc.record(
  { clientId: text, userId: fc.string(), connInfo: data },
  { requiredKeys: ['clientId', 'userId'] },
);
const publication = fc.record(
  { offset: fc.nat(), epoch: fc.string(), data, info: clientInfo, skipped: fc.nat() },
  { requiredKeys: ['offset', 'epoch', 'data'] },
);

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    id,
    method: fc.constant('connect' as const),
    params: fc.record(
      {
        token: text,
        name: text,
        data,
        subs: fc.dictionary(text, fc.record({ since: position, token: text }, { requiredKeys: [] }), { maxKeys: 3 }),
        reconnect: fc.boolean(),
        ping: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    id,
    method: fc.constant('subscribe' as const),
    params: fc.record({ channel: text, token: text, since: position }, { requiredKeys: ['channel'] }),
  }),
  fc.record({
    id,
    method: fc.constantFrom('unsubscribe' as const, 'presence' as const, 'presence_stats' as const),
    params: fc.record({ channel: text }),
  }),
  fc.record({
    id,
    method: fc.constant('publish' as const),
    params: fc.record({ channel: text, data, idempotencyKey: text }, { requiredKeys: ['channel', 'data'] }),
  }),
  fc.record({
    id,
    method: fc.constant('history' as const),
    params: fc.record(
      { channel: text, since: position, limit: fc.integer({ min: -1 }), reverse: fc.boolean() },
      { requiredKeys: ['channel'] },
    ),
  }),
  fc.record({ id, method: fc.constant('rpc' as const), params: fc.record({ method: text, data }) }),
  fc.record({ id, method: fc.constant('refresh' as const), params: fc.record({ token: text }) }),
  fc.record({ id, method: fc.constant('ping' as const), params: fc.constant({}) }),
  fc
    .record({ method: fc.constant('send' as const), params: fc.record({ data }) })
    .map((c) => ({ id: undefined, ...c })),
) as fc.Arbitrary<Command>;

const reply: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({ id, result: data }),
  fc.record({ id, result: fc.record({ publications: fc.array(publication, { maxLength: 3 }), position }) }),
  fc.record({
    id,
    error: fc.record(
      { code: fc.integer({ min: 100, max: 4999 }), message: fc.string(), temporary: fc.boolean() },
      { requiredKeys: ['code', 'message'] },
    ),
  }),
);

const push: fc.Arbitrary<Push> = fc.oneof(
  fc.record({ push: fc.constant('publication' as const), channel: text, pub: publication }),
  fc.record({ push: fc.constantFrom('join' as const, 'leave' as const), channel: text, info: clientInfo }),
  fc.record({
    push: fc.constant('unsubscribe' as const),
    channel: text,
    code: fc.integer({ min: 3000, max: 4999 }),
    reason: fc.string(),
  }),
  fc.record({ push: fc.constant('message' as const), data }),
  fc.record({ push: fc.constant('refresh' as const), graceMs: fc.nat() }),
  fc.constant({ push: 'ping' as const }),
);

/** Anything thrown must be a WireError with `code`. */
function onlyWireErrors(code: WireErrorCode, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof WireError, `not a WireError: ${String(error)}`);
    assert.equal(error.code, code);
  }
}

for (const codec of CODECS) {
  describe(`${codec.subprotocol}: round trips`, () => {
    it('client → server: every command, alone', () => {
      fc.assert(
        fc.property(command, (c) => {
          const message = codec.encodeCommand(c);
          assert.equal(
            typeof message === 'string',
            !codec.binary,
            'text codecs write strings (text frames), binary ones bytes',
          );
          assert.deepStrictEqual(codec.decodeCommands(toBytes(message)), [c]);
        }),
        RUNS,
      );
    });

    it('server → client: every reply and push, as bytes and (text codecs) as the string a browser hands over', () => {
      fc.assert(
        fc.property(fc.oneof(reply, push), (message) => {
          const bytes = 'push' in message ? codec.encodePush(message) : codec.encodeReply(message);
          assert.deepStrictEqual(codec.decodeMessage(bytes), message);
          if (!codec.binary) assert.deepStrictEqual(codec.decodeMessage(new TextDecoder().decode(bytes)), message);
        }),
        RUNS,
      );
    });

    it('a `__proto__` key stays data: an own property, and no prototype is touched', () => {
      const pub = {
        push: 'publication',
        channel: 'c',
        pub: { offset: 1, epoch: 'e', data: JSON.parse('{"__proto__":{"polluted":1},"a":1}') },
      } as Push;
      const decoded = codec.decodeMessage(codec.encodePush(pub)) as Extract<Push, { push: 'publication' }>;
      const out = decoded.pub.data as Record<string, unknown>;
      assert.deepStrictEqual(Object.keys(out), ['__proto__', 'a']);
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('bytes come back as a plain Uint8Array, not a Node Buffer', () => {
      const sent = Buffer.from([0, 1, 2, 255]);
      const [decoded] = codec.decodeCommands(
        toBytes(codec.encodeCommand({ id: 1, method: 'publish', params: { channel: 'c', data: { file: sent } } })),
      );
      const file = ((decoded as Command & { method: 'publish' }).params.data as { file: Uint8Array }).file;
      assert.equal(file.constructor, Uint8Array);
      assert.deepStrictEqual([...file], [0, 1, 2, 255]);
    });
  });

  describe(`${codec.subprotocol}: malformed input`, () => {
    it(
      'any bytes as a client message: commands, WireErrors in place of bad ones, or a thrown WireError ' +
        '(SB_ERR_MALFORMED_COMMAND)',
      () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) =>
            onlyWireErrors(WireErrorCode.MalformedCommand, () => {
              for (const c of codec.decodeCommands(bytes))
                if (c instanceof WireError) assert.equal(c.code, WireErrorCode.MalformedCommand);
            }),
          ),
          { numRuns: 2000 },
        );
      },
    );

    it('any bytes as a server message: a reply or push, or WireError SB_ERR_MALFORMED_MESSAGE', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) =>
          onlyWireErrors(WireErrorCode.MalformedMessage, () => codec.decodeMessage(bytes)),
        ),
        { numRuns: 2000 },
      );
    });

    it('a valid message with one byte changed or cut short still gets only WireErrors', () => {
      fc.assert(
        fc.property(command, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (c, at, byte, cut) => {
          const bytes = Uint8Array.from(toBytes(codec.encodeCommand(c)));
          const i = at % bytes.length;
          const damaged = cut ? bytes.subarray(0, i) : (bytes.fill(byte, i, i + 1), bytes);
          onlyWireErrors(WireErrorCode.MalformedCommand, () => codec.decodeCommands(damaged));
        }),
        RUNS,
      );
    });

    it('well-formed but invalid commands get their WireError with the id, the others still decode', () => {
      const good = { id: 1, method: 'ping', params: {} };
      const bad = { id: 2, method: 'toString', params: {} };
      const encode = (v: unknown) => toBytes(codec.binary ? codec.encodeCommand(v as Command) : JSON.stringify(v));
      const [ok, wrong] = codec.decodeCommands(encode([good, bad]));
      assert.deepStrictEqual(ok, good);
      assert.ok(wrong instanceof WireError && wrong.id === 2 && /unknown method/.test(wrong.message));
      assert.throws(
        () => codec.decodeCommands(encode([])),
        (e) => e instanceof WireError && e.message === 'empty batch',
      );
      assert.throws(
        () => codec.decodeCommands(encode(Array.from({ length: 101 }, (_, i) => ({ ...good, id: i + 1 })))),
        /more than 100 commands/,
      );
      assert.throws(
        () => codec.decodeMessage(encode({ result: 1 })),
        (e) => e instanceof WireError && e.code === WireErrorCode.MalformedMessage,
      );
    });
  });
}

describe('binary data across codecs (docs/protocol.md#binary-data)', () => {
  const [json, msgpack] = CODECS as [JsonCodec, MsgpackCodec];
  const bytes = Uint8Array.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
  const pub: Push = {
    push: 'publication',
    channel: 'files:a',
    pub: { offset: 3, epoch: 'e', data: { name: 'x.bin', body: bytes } },
  };

  it('a JSON client sees bytes as {"$bytes": base64}, which the JSON codec reads back as bytes', () => {
    const text = new TextDecoder().decode(json.encodePush(pub));
    assert.equal(
      text,
      '{"push":"publication","channel":"files:a","pub":{"offset":3,"epoch":"e","data":{"name":"x.bin",' +
        '"body":{"$bytes":"AAEC+vv8/f7/"}}}}',
    );
    assert.deepStrictEqual(json.decodeMessage(text), pub);
  });

  it('a MessagePack client sees bytes as MessagePack bin, and JSON data as the same values', () => {
    const encoded = msgpack.encodePush(pub);
    assert.ok(Buffer.from(encoded).includes(Buffer.from([0xc4, bytes.length, ...bytes])), 'bin 8 with the raw bytes');
    assert.deepStrictEqual(msgpack.decodeMessage(encoded), pub);
    const fromJson = json.decodeCommands(
      new TextEncoder().encode(
        '{"id":1,"method":"publish","params":{"channel":"c","data":{"n":1.5,"s":"é🎉","a":[null,true]}}}',
      ),
    )[0] as Command;
    const seen = msgpack.decodeMessage(
      msgpack.encodePush({
        push: 'publication',
        channel: 'c',
        pub: { offset: 1, epoch: 'e', data: (fromJson.params as { data: unknown }).data },
      }),
    );
    assert.deepStrictEqual((seen as Extract<Push, { push: 'publication' }>).pub.data, {
      n: 1.5,
      s: 'é🎉',
      a: [null, true],
    });
  });

  it('the reserved form sent by a JSON client is bytes to everyone; bad base64 in it is a malformed command', () => {
    const [c] = json.decodeCommands(
      new TextEncoder().encode('{"id":1,"method":"publish","params":{"channel":"c","data":{"$bytes":"AAE="}}}'),
    );
    assert.deepStrictEqual((c as Command).params, { channel: 'c', data: Uint8Array.from([0, 1]) });
    assert.throws(
      () =>
        json.decodeCommands(
          new TextEncoder().encode('{"id":1,"method":"publish","params":{"channel":"c","data":{"$bytes":"!!"}}}'),
        ),
      WireError,
    );
  });

  it('subprotocols are the shared names', () => {
    assert.deepStrictEqual([json.subprotocol, msgpack.subprotocol], [Subprotocol.Json, Subprotocol.Msgpack]);
  });
});
