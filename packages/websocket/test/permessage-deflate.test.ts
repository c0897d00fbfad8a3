// RFC 7692 permessage-deflate: negotiation (§7), framing rules (§6), bounded inflation, and round trips on the real
// node:zlib codec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ErrorCode,
  ProtocolConnection,
  clientPerMessageDeflate,
  parseExtensionHeader,
  serverPerMessageDeflate,
  type ConnectionEvent,
  type Extension,
  type PerMessageDeflateOptions,
} from '@switchboard/protocol';
import { createNodeDeflateCodec } from '../src/index.js';

const codec = createNodeDeflateCodec();
const MAX = 1024 * 1024;

/** Server answer (as a header string, or null when declined) for a client's offer header. */
function answer(offer: string, options: PerMessageDeflateOptions = {}): string | null {
  const offers = parseExtensionHeader(offer).map((o) => o.params);
  const accepted = serverPerMessageDeflate(options, codec, MAX).negotiate(offers);
  if (!accepted) return null;
  return accepted.response.map((p) => (p.value === true ? p.name : `${p.name}=${p.value}`)).join('; ');
}

describe('§7 negotiation, server side', () => {
  const cases: [string, PerMessageDeflateOptions, string | null][] = [
    ['permessage-deflate', {}, 'server_no_context_takeover; client_no_context_takeover'],
    ['permessage-deflate', { serverNoContextTakeover: false, clientNoContextTakeover: false }, ''],
    [
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_no_context_takeover',
    ],
    [
      'permessage-deflate; client_no_context_takeover',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      'client_no_context_takeover',
    ],
    [
      'permessage-deflate; server_max_window_bits=10',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_max_window_bits=10',
    ],
    [
      'permessage-deflate; server_max_window_bits=8',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_max_window_bits=8',
    ],
    [
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 9, serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_max_window_bits=9',
    ],
    [
      'permessage-deflate',
      { serverMaxWindowBits: 11, serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_max_window_bits=11',
    ],
    [
      'permessage-deflate; client_max_window_bits',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      '',
    ],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10, serverNoContextTakeover: false, clientNoContextTakeover: false },
      'client_max_window_bits=10',
    ],
    [
      'permessage-deflate; client_max_window_bits=9',
      { clientMaxWindowBits: 12, serverNoContextTakeover: false, clientNoContextTakeover: false },
      'client_max_window_bits=9',
    ],
    // We may only limit the client's window if it offered client_max_window_bits (§7.1.2.2).
    ['permessage-deflate', { clientMaxWindowBits: 10 }, null],
    // Invalid or duplicate parameters decline the offer (§7.1).
    ['permessage-deflate; server_max_window_bits', {}, null],
    ['permessage-deflate; server_max_window_bits=16', {}, null],
    ['permessage-deflate; server_max_window_bits=7', {}, null],
    ['permessage-deflate; server_max_window_bits=08', {}, null],
    ['permessage-deflate; client_max_window_bits=0', {}, null],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}, null],
    ['permessage-deflate; client_no_context_takeover=1', {}, null],
    ['permessage-deflate; x_unknown', {}, null],
    // Several offers: the first acceptable one is taken.
    [
      'permessage-deflate; x_unknown, permessage-deflate; server_max_window_bits=9, permessage-deflate',
      { serverNoContextTakeover: false, clientNoContextTakeover: false },
      'server_max_window_bits=9',
    ],
  ];
  for (const [offer, options, expected] of cases) {
    it(`${offer} ${JSON.stringify(options)} → ${expected ?? 'declined'}`, () =>
      assert.equal(answer(offer, options), expected));
  }

  it('rejects bad options eagerly, naming them', () => {
    assert.throws(() => serverPerMessageDeflate({ serverMaxWindowBits: 16 }, codec, MAX), /serverMaxWindowBits/);
    assert.throws(() => serverPerMessageDeflate({ threshold: -1 }, codec, MAX), /threshold/);
  });
});

describe('§7 negotiation, client side', () => {
  const client = (options: PerMessageDeflateOptions = {}) => clientPerMessageDeflate(options, codec, MAX);

  it('offers what browsers offer by default', () => {
    assert.deepEqual(client().offer(), [[{ name: 'client_max_window_bits', value: true }]]);
  });

  const bad = [
    'permessage-deflate; x_unknown',
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
  ];
  for (const response of bad) {
    it(`refuses the response "${response}"`, () => {
      assert.throws(() => client().accept(parseExtensionHeader(response)[0].params), {
        code: ErrorCode.UnexpectedExtension,
      });
    });
  }

  it('refuses a response that drops server_no_context_takeover we asked for', () => {
    assert.throws(() => client({ serverNoContextTakeover: true }).accept([]), { code: ErrorCode.UnexpectedExtension });
  });
});

/** Negotiates a pair of connected extensions as a real handshake would. */
function pair(
  server: PerMessageDeflateOptions,
  clientOptions: PerMessageDeflateOptions,
  max = MAX,
): { server: Extension; client: Extension } {
  const negotiator = clientPerMessageDeflate(clientOptions, codec, max);
  const accepted = serverPerMessageDeflate(server, codec, max).negotiate(negotiator.offer());
  assert.ok(accepted, 'negotiation must succeed');
  return { server: accepted.extension, client: negotiator.accept(accepted.response) };
}

function endpoints(ext: { server: Extension; client: Extension }, max = MAX) {
  const wire: Uint8Array[] = [];
  const received: ConnectionEvent[] = [];
  const client = new ProtocolConnection(
    { role: 'client', maskSource: (k) => k.fill(0x5a), extensions: [ext.client], maxMessageSize: max },
    { onEvent() {}, onOutput: (c) => wire.push(c.slice()) },
  );
  const server = new ProtocolConnection(
    { role: 'server', extensions: [ext.server], maxMessageSize: max },
    { onEvent: (e) => received.push(e.type === 'message' ? { ...e, data: e.data.slice() } : e), onOutput() {} },
  );
  return { client, server, wire, received };
}

describe('§6 framing of compressed messages', () => {
  it('RSV1 only on the first frame; control frames and short messages are never compressed', () => {
    const { client, wire } = endpoints(pair({ threshold: 10 }, { threshold: 10 }));
    client.send(
      new Uint8Array(300).map(() => Math.random() * 256),
      { binary: true, fragmentSize: 20 },
    ); // incompressible
    client.send(new TextEncoder().encode('short'));
    client.ping(new TextEncoder().encode('y'.repeat(100)));
    const firstBytes = wire.map((c) => c[0]);
    assert.equal(firstBytes[0], 0x42, 'binary, RSV1, no FIN');
    assert.ok(
      firstBytes.slice(1, -2).every((b) => (b & 0x40) === 0),
      'continuations carry no RSV1',
    );
    assert.equal(firstBytes.at(-2), 0x81, 'below the threshold: uncompressed');
    assert.equal(firstBytes.at(-1), 0x89, 'pings are never compressed');
  });

  it(
    'an empty message compresses to the single byte 0x00 (§7.2.3.6), ' + 'and a run of them keeps the stream intact',
    () => {
      const { client, wire, server, received } = endpoints(
        pair({ threshold: 0, serverNoContextTakeover: false, clientNoContextTakeover: false }, { threshold: 0 }),
      );
      for (const m of ['[]', '', '', 'after']) client.send(new TextEncoder().encode(m));
      assert.deepEqual([...wire[1]], [0xc1, 0x81, 0x5a, 0x5a, 0x5a, 0x5a, 0x00 ^ 0x5a]);
      server.receive(new Uint8Array(Buffer.concat(wire)));
      assert.deepEqual(
        received.map((e) => e.type === 'message' && new TextDecoder().decode(e.data)),
        ['[]', '', '', 'after'],
      );
    },
  );

  it('compress: false sends a message uncompressed', () => {
    const { client, wire } = endpoints(pair({ threshold: 0 }, { threshold: 0 }));
    client.send(new TextEncoder().encode('z'.repeat(2000)), { compress: false });
    assert.equal(wire[0][0], 0x81);
  });

  it('inflation stops at maxMessageSize with 1009 (a bomb never inflates further)', () => {
    const max = 64 * 1024;
    const ext = pair({ threshold: 0 }, {}, max);
    const bomb = pair({ threshold: 0 }, {}, 64 * 1024 * 1024);
    const { wire } = endpoints(bomb, 64 * 1024 * 1024);
    const sender = new ProtocolConnection(
      { role: 'client', maskSource: (k) => k.fill(1), extensions: [bomb.client], maxMessageSize: 64 * 1024 * 1024 },
      { onEvent() {}, onOutput: (c) => wire.push(c.slice()) },
    );
    sender.send(new Uint8Array(32 * 1024 * 1024), { binary: true });
    const compressed = Buffer.concat(wire);
    assert.ok(compressed.length < 64 * 1024, `32 MiB compresses to ${compressed.length} bytes`);
    const events: ConnectionEvent[] = [];
    const receiver = new ProtocolConnection(
      { role: 'server', extensions: [ext.server], maxMessageSize: max },
      { onEvent: (e) => events.push(e), onOutput() {} },
    );
    receiver.receive(new Uint8Array(compressed));
    const fail = events.find((e) => e.type === 'fail');
    assert.ok(fail?.type === 'fail' && fail.error.code === ErrorCode.MessageTooBig && fail.error.closeCode === 1009);
  });

  it('invalid compressed data → 1007', () => {
    const { server, received } = endpoints(pair({ threshold: 0 }, {}));
    // RSV1 text frame whose payload is not DEFLATE (0xff is an invalid block type).
    const payload = [0xff, 0xff, 0xff];
    server.receive(new Uint8Array([0xc1, 0x80 | payload.length, 0, 0, 0, 0, ...payload]));
    const fail = received.find((e) => e.type === 'fail');
    assert.ok(
      fail?.type === 'fail' && fail.error.code === ErrorCode.InvalidCompressedData && fail.error.closeCode === 1007,
    );
  });
});

describe('properties', () => {
  const options = fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    threshold: fc.constantFrom(0, 16, 1024),
  });
  const message = fc.record({
    binary: fc.boolean(),
    // Compressible JSON-like text and incompressible bytes, small and large.
    data: fc.oneof(
      fc
        .array(fc.record({ id: fc.nat(), name: fc.constantFrom('alpha', 'beta', 'gamma') }), { maxLength: 200 })
        .map((a) => new TextEncoder().encode(JSON.stringify(a))),
      fc.uint8Array({ maxLength: 3000 }),
    ),
    fragmentSize: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
  });

  it('compress → frame → parse → inflate round-trips under any chunking and any negotiated parameters', () => {
    fc.assert(
      fc.property(
        options,
        fc.array(message, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (o, messages, cuts) => {
          const { serverMaxWindowBits, clientMaxWindowBits, ...rest } = o;
          const ext = pair({ ...rest, serverMaxWindowBits, clientMaxWindowBits: 15 }, { ...rest, clientMaxWindowBits });
          const { client, server, wire, received } = endpoints(ext);
          const expected: ConnectionEvent[] = [];
          for (const m of messages) {
            const data = m.binary ? m.data : new TextEncoder().encode(Buffer.from(m.data).toString('latin1'));
            client.send(data, { binary: m.binary, fragmentSize: m.fragmentSize });
            expected.push({ type: 'message', data, binary: m.binary });
          }
          const all = new Uint8Array(Buffer.concat(wire));
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          for (const p of [...points, all.length]) {
            server.receive(all.slice(prev, p));
            prev = p;
          }
          assert.deepEqual(received, expected);
          ext.client.dispose();
          ext.server.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });
});
