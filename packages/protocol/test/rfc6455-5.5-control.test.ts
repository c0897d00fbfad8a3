// RFC 6455 §5.5: control frames (ping, pong) and their limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../src/index.js';
import { concatBytes, eachChunking, harness, hex, maskedFrame, text, toHex } from './helpers.js';

describe('§5.5.2 ping / §5.5.3 pong', () => {
  it('a ping is answered by a pong with the same payload', () => {
    eachChunking(maskedFrame(0x89, text('are you there')), {}, (h) => {
      assert.equal(toHex(h.output()), toHex(concatBytes(hex('8a 0d'), text('are you there'))));
      const e = h.events[0];
      assert.ok(e.type === 'ping');
      assert.equal(new TextDecoder().decode(e.data), 'are you there');
    });
  });

  it('a 125-byte ping is answered; the client side masks its pong', () => {
    const payload = new Uint8Array(125).fill(0x61);
    eachChunking(concatBytes(hex('89 7d'), payload), { role: 'client' }, (h) => {
      const out = h.output();
      assert.equal(toHex(out.subarray(0, 2)), '8a fd'); // masked, 125
      assert.equal(out.length, 2 + 4 + 125);
    });
  });

  it('autoPong: false leaves the answer to the application', () => {
    eachChunking(maskedFrame(0x89, text('x')), { autoPong: false }, (h) => {
      assert.equal(h.output().length, 0);
      assert.equal(h.events[0].type, 'ping');
    });
  });

  it('an empty ping gets an empty pong', () => {
    eachChunking(maskedFrame(0x89, new Uint8Array(0)), {}, (h) => assert.equal(toHex(h.output()), '8a 00'));
  });

  it('a control frame longer than 125 bytes → 1002', () => {
    eachChunking(maskedFrame(0x89, new Uint8Array(126)), {}, (h) => {
      const fail = h.events.find((e) => e.type === 'fail');
      assert.ok(fail?.type === 'fail' && fail.error.code === ErrorCode.ControlFrameTooLong);
    });
  });

  it('a fragmented control frame → 1002', () => {
    eachChunking(maskedFrame(0x09, text('x')), {}, (h) => {
      const fail = h.events.find((e) => e.type === 'fail');
      assert.ok(fail?.type === 'fail' && fail.error.code === ErrorCode.FragmentedControlFrame);
    });
  });

  it('sending a ping over 125 bytes is refused locally', () => {
    const h = harness();
    assert.throws(() => h.conn.ping(new Uint8Array(126)), { code: ErrorCode.InvalidArgument });
  });
});
