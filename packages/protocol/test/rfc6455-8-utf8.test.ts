// RFC 6455 §8.1: text must be UTF-8; invalid bytes fail the connection with 1007 as soon as they arrive.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, Utf8Validator, isValidUtf8 } from '../src/index.js';
import { concatBytes, eachChunking, harness, hex, maskedFrame, text } from './helpers.js';

// Cases in the spirit of Autobahn 6.x (Markus Kuhn's UTF-8 stress test).
const valid: [string, string][] = [
  ['ASCII', '48 65 6c 6c 6f'],
  ['κόσμε', 'ce ba e1 bd b9 cf 83 ce bc ce b5'],
  ['U+0080', 'c2 80'],
  ['U+07FF', 'df bf'],
  ['U+0800', 'e0 a0 80'],
  ['U+FFFF', 'ef bf bf'],
  ['U+D7FF', 'ed 9f bf'],
  ['U+E000', 'ee 80 80'],
  ['U+10000', 'f0 90 80 80'],
  ['U+10FFFF', 'f4 8f bf bf'],
  ['empty', ''],
];
const invalid: [string, string][] = [
  ['lone continuation', '80'],
  ['overlong 2-byte', 'c0 af'],
  ['C1 lead', 'c1 bf'],
  ['overlong 3-byte', 'e0 80 af'],
  ['overlong 4-byte', 'f0 80 80 af'],
  ['surrogate U+D800', 'ed a0 80'],
  ['surrogate U+DFFF', 'ed bf bf'],
  ['above U+10FFFF', 'f4 90 80 80'],
  ['F5 lead', 'f5 80 80 80'],
  ['FE', 'fe'],
  ['FF', 'ff'],
  ['truncated 2-byte at end', 'c2'],
  ['truncated 4-byte at end', 'f0 90 80'],
  ['ASCII then bad', '41 42 43 44 45 46 47 48 c0'],
];

describe('Utf8Validator', () => {
  for (const [name, bytes] of valid) it(`accepts ${name}`, () => assert.equal(isValidUtf8(hex(bytes)), true));
  for (const [name, bytes] of invalid) it(`rejects ${name}`, () => assert.equal(isValidUtf8(hex(bytes)), false));

  it('keeps state across chunks, one byte at a time', () => {
    const bytes = hex('f0 9f 9a 80 ce ba');
    const v = new Utf8Validator();
    for (let i = 0; i < bytes.length; i++) {
      assert.equal(v.update(bytes, i, i + 1), true);
      assert.equal(v.complete, i === 3 || i === 5);
    }
  });

  it('agrees with TextDecoder on every 1- and 2-byte sequence', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const ok = (b: Uint8Array) => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const bytes = new Uint8Array([a, b]);
        assert.equal(isValidUtf8(bytes), ok(bytes), `bytes ${a.toString(16)} ${b.toString(16)}`);
      }
    }
  });
});

describe('text messages', () => {
  for (const [name, bytes] of invalid) {
    it(`${name} → 1007`, () => {
      eachChunking(maskedFrame(0x81, hex(bytes)), {}, (h) => {
        const fail = h.events.find((e) => e.type === 'fail');
        assert.ok(fail?.type === 'fail' && fail.error.code === ErrorCode.InvalidUtf8 && fail.error.closeCode === 1007);
      });
    });
  }

  it('a code point split across fragments is valid', () => {
    const bytes = concatBytes(maskedFrame(0x01, hex('f0 9f')), maskedFrame(0x80, hex('9a 80')));
    eachChunking(bytes, {}, (h) => {
      const e = h.events[0];
      assert.ok(e.type === 'message');
      assert.equal(new TextDecoder().decode(e.data), '🚀');
    });
  });

  it('fails fast: the first invalid fragment fails before the message is complete', () => {
    const h = harness();
    h.conn.receive(maskedFrame(0x01, text('valid start ')));
    assert.equal(h.events.length, 0);
    h.conn.receive(maskedFrame(0x00, hex('ce ba ed a0 80'))); // no FIN yet
    assert.equal(h.events[0]?.type, 'fail');
  });

  it('fails fast within a frame: invalid bytes fail before the frame’s payload has all arrived', () => {
    const h = harness();
    const frame = maskedFrame(0x81, concatBytes(hex('41 c0'), new Uint8Array(100).fill(0x41)));
    h.conn.receive(frame.slice(0, 2 + 4 + 2)); // header + mask + first two payload bytes
    assert.equal(h.events[0]?.type, 'fail');
  });

  it('a message that ends inside a code point → 1007', () => {
    const bytes = concatBytes(maskedFrame(0x01, hex('41')), maskedFrame(0x80, hex('e2 82')));
    eachChunking(bytes, {}, (h) => assert.equal(h.events[0]?.type, 'fail'));
  });

  it('binary messages are not validated', () => {
    eachChunking(maskedFrame(0x82, hex('ff fe c0')), {}, (h) => assert.equal(h.events[0].type, 'message'));
  });
});
