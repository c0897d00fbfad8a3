// fast-check properties of the codec: round trips under any chunking, and total behaviour on arbitrary bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ErrorCode,
  HandshakeError,
  HttpHeadReader,
  ProtocolConnection,
  ProtocolError,
  parseRequestHead,
  type ConnectionEvent,
} from '../src/index.js';

const documented = new Set<string>(Object.values(ErrorCode));

/** Splits `bytes` at the given cut points (any chunking). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  return out;
}

const message = fc.record({
  binary: fc.boolean(),
  data: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 60000, maxLength: 70000 })),
  fragmentSize: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
});

describe('properties', () => {
  it('encode → parse round-trips messages and pings under any chunking, client → server', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(message, fc.record({ ping: fc.uint8Array({ maxLength: 125 }) })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (items, cuts) => {
          const wire: Uint8Array[] = [];
          let seed = 1;
          const sender = new ProtocolConnection(
            {
              role: 'client',
              maskSource: (k) => k.forEach((_, i) => (k[i] = (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff)),
            },
            { onEvent() {}, onOutput: (c) => wire.push(c.slice()) },
          );
          const expected: ConnectionEvent[] = [];
          for (const item of items) {
            if ('ping' in item) {
              sender.ping(item.ping);
              expected.push({ type: 'ping', data: item.ping });
            } else {
              // Text payloads must be valid UTF-8: use bytes of a JS string.
              const data = item.binary
                ? item.data
                : new TextEncoder().encode(Buffer.from(item.data).toString('latin1'));
              sender.send(data, { binary: item.binary, fragmentSize: item.fragmentSize });
              expected.push({ type: 'message', data, binary: item.binary });
            }
          }
          const received: ConnectionEvent[] = [];
          const receiver = new ProtocolConnection(
            { role: 'server' },
            {
              onEvent: (e) =>
                received.push(e.type === 'message' || e.type === 'ping' ? { ...e, data: e.data.slice() } : e),
              onOutput() {},
            },
          );
          const all = new Uint8Array(Buffer.concat(wire));
          for (const piece of chunk(all, cuts)) receiver.receive(piece);
          assert.deepEqual(received, expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it(
    'arbitrary bytes are accepted or rejected with a documented error, ' + 'never another exception, within the limits',
    () => {
      const limit = 4096;
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.uint8Array({ maxLength: 2000 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (server, bytes, cuts) => {
            let output = 0;
            const conn = new ProtocolConnection(
              {
                role: server ? 'server' : 'client',
                maskSource: server ? undefined : (k) => k.fill(1),
                maxMessageSize: limit,
                maxFragments: 16,
              },
              {
                onEvent(e) {
                  if (e.type === 'message') assert.ok(e.data.length <= limit);
                  if (e.type === 'fail') {
                    assert.ok(e.error instanceof ProtocolError);
                    assert.ok(documented.has(e.error.code), e.error.code);
                    assert.ok([1002, 1007, 1009].includes(e.error.closeCode));
                  }
                },
                onOutput: (c) => (output += c.length),
              },
            );
            for (const piece of chunk(bytes, cuts)) conn.receive(piece); // throws only on a non-protocol bug
            // Output is bounded by what the input could provoke: one pong per ping plus one close frame.
            assert.ok(output <= bytes.length * 2 + 200);
          },
        ),
        { numRuns: 3000 },
      );
    },
  );

  it('arbitrary request heads give a head or a documented HandshakeError', () => {
    const headLike = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom('GET / HTTP/1.1', 'Host: x', 'Upgrade: websocket', ': v', ' fold', 'A:\0'),
            fc.string(),
          ),
          { maxLength: 8 },
        )
        .map((lines) => new TextEncoder().encode(lines.join('\r\n') + '\r\n\r\n')),
    );
    fc.assert(
      fc.property(headLike, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const reader = new HttpHeadReader(parseRequestHead, 512);
        try {
          for (const piece of chunk(bytes, cuts)) if (reader.push(piece)) break;
        } catch (error) {
          assert.ok(error instanceof HandshakeError, String(error));
          assert.ok(documented.has(error.code));
          assert.ok([400, 431].includes(error.status));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('HTTP head parsing', () => {
  /**
   * The header-line rules as first written (split, trim of OWS, regular expressions): the scanner must agree with them.
   */
  function referenceHeaders(text: string): Map<string, string> {
    const headers = new Map<string, string>();
    const lines = text.split('\r\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.startsWith(' ') || line.startsWith('\t')) throw new Error('obsolete header line folding');
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error('malformed header line');
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) throw new Error('invalid character in header value');
      const key = name.toLowerCase();
      const prior = headers.get(key);
      if (prior !== undefined && key === 'host') throw new Error('duplicate Host header');
      headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
    }
    return headers;
  }
  const outcome = (f: () => Map<string, string>) => {
    try {
      return [...f()];
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('header lines parse as split, OWS trim and the token and value rules say, for any text', () => {
    const piece = fc.constantFrom(
      '\r\n',
      ': ',
      ':',
      ' ',
      '\t',
      '\v',
      '\u00a0',
      '\u2028',
      '\x01',
      '\x7f',
      '\r',
      '\n',
      'Host',
      'host',
      'X-A',
      'x-a',
      'v',
      'é',
      '(',
      '"',
      ',',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = `GET / HTTP/1.1\r\n${pieces.join('')}`;
        assert.deepEqual(
          outcome(() => parseRequestHead(text).headers),
          outcome(() => referenceHeaders(text)),
        );
      }),
      { numRuns: 5000 },
    );
  });
});
