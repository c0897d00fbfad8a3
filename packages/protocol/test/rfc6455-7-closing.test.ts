// RFC 6455 §7: the closing handshake, close codes and reasons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode, ConnectionState, ErrorCode, encodeClosePayload, isValidWireCloseCode } from '../src/index.js';
import { concatBytes, eachChunking, harness, hex, maskedFrame, text, toHex } from './helpers.js';

const closeFrame = (code: number, reason = '') =>
  maskedFrame(0x88, concatBytes(new Uint8Array([code >> 8, code & 0xff]), text(reason)));

describe('§7.4 close codes', () => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

  for (const code of valid) {
    it(`${code} is echoed and completes the handshake`, () => {
      eachChunking(closeFrame(code, 'bye'), {}, (h) => {
        assert.equal(toHex(h.output()), toHex(new Uint8Array([0x88, 0x02, code >> 8, code & 0xff])));
        assert.deepEqual(h.events, [{ type: 'close', code, reason: 'bye' }]);
        assert.equal(h.conn.state, ConnectionState.Closed);
      });
    });
  }

  for (const code of invalid) {
    it(`${code} on the wire → 1002`, () => {
      eachChunking(closeFrame(code), {}, (h) => {
        const fail = h.events.find((e) => e.type === 'fail');
        assert.ok(
          fail?.type === 'fail' && fail.error.code === ErrorCode.InvalidCloseCode && fail.error.closeCode === 1002,
        );
      });
      assert.equal(isValidWireCloseCode(code), false);
    });
  }

  it('1005, 1006 and 1015 are never sent', () => {
    assert.equal(encodeClosePayload(CloseCode.NoStatusReceived).length, 0);
    assert.throws(() => encodeClosePayload(CloseCode.Abnormal), { code: ErrorCode.InvalidCloseCode });
    assert.throws(() => encodeClosePayload(CloseCode.TlsHandshake), { code: ErrorCode.InvalidCloseCode });
    assert.throws(() => harness().conn.close(1006), { code: ErrorCode.InvalidArgument });
  });
});

describe('§5.5.1 close payloads', () => {
  it('an empty close is answered with an empty close and reports 1005', () => {
    eachChunking(maskedFrame(0x88, new Uint8Array(0)), {}, (h) => {
      assert.equal(toHex(h.output()), '88 00');
      assert.deepEqual(h.events, [{ type: 'close', code: 1005, reason: '' }]);
    });
  });

  it('a 1-byte close payload → 1002', () => {
    eachChunking(maskedFrame(0x88, hex('03')), {}, (h) => {
      const fail = h.events[0];
      assert.ok(
        fail.type === 'fail' && fail.error.code === ErrorCode.InvalidClosePayload && fail.error.closeCode === 1002,
      );
    });
  });

  it('a reason that is not UTF-8 → 1007', () => {
    eachChunking(
      maskedFrame(0x88, hex('03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64')),
      {},
      (h) => {
        const fail = h.events[0];
        assert.ok(fail.type === 'fail' && fail.error.code === ErrorCode.InvalidUtf8 && fail.error.closeCode === 1007);
      },
    );
  });

  it('long local reasons are truncated to 123 bytes on a code point boundary', () => {
    const payload = encodeClosePayload(1000, '€'.repeat(50)); // 3 bytes each
    assert.equal(payload.length, 2 + 123);
    assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2)), '€'.repeat(41));
  });
});

describe('§7.1 closing handshake state machine', () => {
  it('we initiate: Closing until the peer answers, then Closed with the peer’s code', () => {
    const h = harness();
    h.conn.close(4000, 'done');
    assert.equal(h.conn.state, ConnectionState.Closing);
    assert.equal(toHex(h.output()), toHex(concatBytes(hex('88 06 0f a0'), text('done'))));
    h.conn.receive(closeFrame(4000));
    assert.equal(h.conn.state, ConnectionState.Closed);
    assert.deepEqual(h.events, [{ type: 'close', code: 4000, reason: '' }]);
  });

  it('data may still arrive while we wait for the peer’s close', () => {
    const h = harness();
    h.conn.close(1000);
    h.conn.receive(maskedFrame(0x81, text('late')));
    assert.equal(h.events[0].type, 'message');
  });

  it('no data is sent after a close frame', () => {
    const h = harness();
    h.conn.close(1000);
    assert.throws(() => h.conn.send(text('x')), { code: ErrorCode.InvalidState });
    assert.throws(() => h.conn.ping(), { code: ErrorCode.InvalidState });
  });

  it('no pong is sent after our close frame', () => {
    const h = harness();
    h.conn.close(1000);
    const before = h.output().length;
    h.conn.receive(maskedFrame(0x89, text('p')));
    assert.equal(h.output().length, before);
  });

  it('frames after the peer’s close are ignored', () => {
    const h = harness();
    h.conn.receive(concatBytes(closeFrame(1000), maskedFrame(0x81, text('ghost'))));
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['close'],
    );
  });

  it('closing twice is a no-op', () => {
    const h = harness();
    h.conn.close(1000);
    const once = h.output().length;
    h.conn.close(1001);
    assert.equal(h.output().length, once);
  });

  it('a failure sends one close frame and stops reading', () => {
    const h = harness();
    h.conn.receive(concatBytes(hex('81 05 48 65 6c 6c 6f'), maskedFrame(0x81, text('after'))));
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['fail'],
    );
    assert.equal(h.conn.state, ConnectionState.Closed);
  });
});
