// RFC 6455 §5: base framing, masking, fragmentation. Fixtures are the RFC's own examples (§5.7) where it has them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, serializeFrame, Opcode, applyMask, type Extension } from '../src/index.js';
import { concatBytes, eachChunking, fixedMask, hex, maskedFrame, text, toHex } from './helpers.js';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function failedWith(h: { events: { type: string }[] }, code: string, closeCode: number) {
  const fail = h.events.find((e) => e.type === 'fail') as { error: { code: string; closeCode: number } } | undefined;
  assert.ok(fail, `expected a fail event, got ${JSON.stringify(h.events.map((e) => e.type))}`);
  assert.equal(fail.error.code, code);
  assert.equal(fail.error.closeCode, closeCode);
}

describe('§5.7 examples, received by a client (unmasked)', () => {
  it('single-frame unmasked text "Hello"', () => {
    eachChunking(hex('81 05 48 65 6c 6c 6f'), { role: 'client' }, (h) => {
      assert.equal(h.events.length, 1);
      const e = h.events[0];
      assert.ok(e.type === 'message' && !e.binary);
      assert.equal(decode(e.data), 'Hello');
    });
  });

  it('fragmented unmasked text "Hel" + "lo"', () => {
    eachChunking(hex('01 03 48 65 6c 80 02 6c 6f'), { role: 'client' }, (h) => {
      assert.deepEqual(
        h.events.map((e) => e.type === 'message' && decode(e.data)),
        ['Hello'],
      );
    });
  });

  it('256-byte binary with a 16-bit length', () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    eachChunking(concatBytes(hex('82 7e 01 00'), payload), { role: 'client' }, (h) => {
      const e = h.events[0];
      assert.ok(e.type === 'message' && e.binary);
      assert.deepEqual(e.data, payload);
    });
  });

  it('64 KiB binary with a 64-bit length', () => {
    const payload = new Uint8Array(65536).map((_, i) => i * 7);
    const h = eachChunking; // bytewise over 64 KiB is slow but is the point: any chunking
    h(concatBytes(hex('82 7f 00 00 00 00 00 01 00 00'), payload), { role: 'client' }, (x) => {
      const e = x.events[0];
      assert.ok(e.type === 'message' && e.binary);
      assert.deepEqual(e.data, payload);
    });
  });
});

describe('§5.7 examples, received by a server (masked)', () => {
  it('single-frame masked text "Hello"', () => {
    eachChunking(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' }, (h) => {
      const e = h.events[0];
      assert.ok(e.type === 'message');
      assert.equal(decode(e.data), 'Hello');
    });
  });

  it('masked pong "Hello" is an unsolicited pong and is accepted', () => {
    eachChunking(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' }, (h) => {
      assert.equal(h.events.length, 1);
      const e = h.events[0];
      assert.ok(e.type === 'pong');
      assert.equal(decode(e.data), 'Hello');
      assert.equal(h.output().length, 0);
    });
  });

  it('masked 1 KiB payload unmasks word-at-a-time at any alignment', () => {
    const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
    const frame = concatBytes(
      hex('82 fe 04 00 37 fa 21 3d'),
      payload.map((b, i) => b ^ [0x37, 0xfa, 0x21, 0x3d][i & 3]),
    );
    for (const offset of [0, 1, 2, 3]) {
      const padded = new Uint8Array(frame.length + offset);
      padded.set(frame, offset);
      eachChunking(padded.subarray(offset), { role: 'server' }, (h) => {
        const e = h.events[0];
        assert.ok(e.type === 'message');
        assert.deepEqual(e.data, payload);
      });
    }
  });
});

describe('§5.1 masking rule', () => {
  it('a server fails an unmasked frame with 1002', () => {
    eachChunking(hex('81 05 48 65 6c 6c 6f'), { role: 'server' }, (h) => {
      failedWith(h, ErrorCode.UnmaskedFrame, 1002);
      // close 1002 + public reason, unmasked
      assert.equal(toHex(h.output()), toHex(concatBytes(hex('88 10 03 ea'), text('unmasked frame'))));
    });
  });

  it('a client fails a masked frame', () => {
    eachChunking(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'client' }, (h) => {
      failedWith(h, ErrorCode.MaskedFrame, 1002);
    });
  });
});

describe('§5.2 header rules', () => {
  for (const opcode of [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    it(`reserved opcode 0x${opcode.toString(16)} → 1002`, () => {
      eachChunking(maskedFrame(0x80 | opcode, new Uint8Array(0)), {}, (h) => {
        failedWith(h, ErrorCode.ReservedOpcode, 1002);
      });
    });
  }

  for (const rsv of [0x40, 0x20, 0x10, 0x70]) {
    it(`RSV bits 0x${rsv.toString(16)} without an extension → 1002`, () => {
      eachChunking(maskedFrame(0x81 | rsv, text('x')), {}, (h) => failedWith(h, ErrorCode.ReservedBits, 1002));
    });
  }

  it('RSV1 is accepted when an extension claimed it, and the extension decodes the message', () => {
    const upper: Extension = {
      name: 'x-upper',
      rsv: 0x40,
      encode: (payload) => ({ payload, rsv: 0x40 }),
      startDecode: (rsv) => (rsv & 0x40 ? { push: (chunk) => [chunk.map((b) => b - 32)] } : null),
      dispose() {},
    };
    eachChunking(
      concatBytes(maskedFrame(0x41, text('ab')), maskedFrame(0x80, text('c'))),
      { extensions: [upper] },
      (h) => {
        const e = h.events[0];
        assert.ok(e.type === 'message');
        assert.equal(decode(e.data), 'ABC');
      },
    );
    eachChunking(
      concatBytes(maskedFrame(0x41, text('ab')), maskedFrame(0xc0, text('c'))),
      { extensions: [upper] },
      (h) => {
        const e = h.events[0];
        assert.ok(e?.type === 'fail' && e.error.code === ErrorCode.ReservedBits, 'RSV1 only on the first frame');
      },
    );
  });

  it('a 64-bit length with the most significant bit set → 1002', () => {
    eachChunking(hex('82 ff 80 00 00 00 00 00 00 01 00 00 00 00'), {}, (h) => {
      failedWith(h, ErrorCode.LengthTooLarge, 1002);
    });
  });

  it('a zero-length text frame is an empty message', () => {
    eachChunking(maskedFrame(0x81, new Uint8Array(0)), {}, (h) => {
      const e = h.events[0];
      assert.ok(e.type === 'message' && e.data.length === 0 && !e.binary);
    });
  });
});

describe('§5.4 fragmentation', () => {
  it('continuation without a started message → 1002', () => {
    eachChunking(maskedFrame(0x80, text('x')), {}, (h) => failedWith(h, ErrorCode.UnexpectedContinuation, 1002));
  });

  it('a new data frame inside a fragmented message → 1002', () => {
    const bytes = concatBytes(maskedFrame(0x01, text('a')), maskedFrame(0x81, text('b')));
    eachChunking(bytes, {}, (h) => failedWith(h, ErrorCode.ExpectedContinuation, 1002));
  });

  it('control frames may sit between fragments', () => {
    const bytes = concatBytes(
      maskedFrame(0x01, text('fra')),
      maskedFrame(0x89, text('ping!')),
      maskedFrame(0x00, text('gmen')),
      maskedFrame(0x8a, text('pong')),
      maskedFrame(0x80, text('ted')),
    );
    eachChunking(bytes, {}, (h) => {
      assert.deepEqual(
        h.events.map((e) => e.type),
        ['ping', 'pong', 'message'],
      );
      const m = h.events[2];
      assert.ok(m.type === 'message');
      assert.equal(decode(m.data), 'fragmented');
      assert.equal(toHex(h.output()), toHex(concatBytes(hex('8a 05'), text('ping!'))));
    });
  });

  it('binary fragments keep their type', () => {
    const bytes = concatBytes(maskedFrame(0x02, hex('ff 00')), maskedFrame(0x80, hex('fe')));
    eachChunking(bytes, {}, (h) => {
      const e = h.events[0];
      assert.ok(e.type === 'message' && e.binary);
      assert.equal(toHex(e.data), 'ff 00 fe');
    });
  });
});

describe('§5.3 serializer', () => {
  it('encodes the RFC masked "Hello" with an injected key', () => {
    const chunks = serializeFrame(
      { fin: true, rsv: 0, opcode: Opcode.Text, payload: text('Hello') },
      fixedMask(hex('37 fa 21 3d')),
    );
    assert.equal(toHex(chunks[0]), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  });

  it('encodes unmasked frames with 7-, 16- and 64-bit lengths', () => {
    const frame = (n: number) =>
      serializeFrame({ fin: true, rsv: 0, opcode: Opcode.Binary, payload: new Uint8Array(n) }, null);
    assert.equal(toHex(frame(125)[0].subarray(0, 2)), '82 7d');
    assert.equal(toHex(frame(126)[0].subarray(0, 4)), '82 7e 00 7e');
    assert.equal(toHex(frame(65535)[0].subarray(0, 4)), '82 7e ff ff');
    const big = frame(65536);
    assert.equal(big.length, 2, 'large server payloads are not copied behind the header');
    assert.equal(toHex(big[0]), '82 7f 00 00 00 00 00 01 00 00');
  });

  it('never modifies the caller’s payload when masking', () => {
    const payload = text('unchanged');
    serializeFrame({ fin: true, rsv: 0, opcode: Opcode.Text, payload }, fixedMask(hex('ff ff ff ff')));
    assert.equal(decode(payload), 'unchanged');
  });

  it('applyMask is its own inverse across phases, lengths and alignments', () => {
    const key = hex('12 34 56 f8');
    for (const length of [0, 1, 3, 4, 31, 32, 33, 63, 64, 65, 100, 1001]) {
      for (const phase of [0, 1, 2, 3]) {
        for (const offset of [0, 1, 2, 3]) {
          const original = new Uint8Array(length).map((_, i) => i);
          const data = new Uint8Array(length + offset).subarray(offset);
          data.set(original);
          applyMask(data, key, 0, length, phase);
          for (let i = 0; i < length; i++) assert.equal(data[i], original[i] ^ key[(phase + i) & 3]);
          applyMask(data, key, 0, length, phase);
          assert.deepEqual(data, original);
        }
      }
    }
  });
});
