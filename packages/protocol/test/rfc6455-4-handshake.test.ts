// RFC 6455 §4: the opening handshake, both sides, and the bounded HTTP head reader.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  HandshakeError,
  HttpHeadReader,
  acceptHandshake,
  computeAcceptKey,
  createClientHandshake,
  parseExtensionHeader,
  parseRequestHead,
  parseResponseHead,
  renderRejection,
  verifyServerHandshake,
  WEBSOCKET_GUID,
  type HttpRequestHead,
  type ServerHandshakeOptions,
} from '../src/index.js';
import fc from 'fast-check';
import { toBase64 } from '../src/handshake/accept-key.js';
import { text } from './helpers.js';

const sha1 = (d: Uint8Array) => new Uint8Array(createHash('sha1').update(d).digest());
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

const GOOD =
  'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${RFC_KEY}\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n` +
  'Sec-WebSocket-Version: 13\r\n\r\n';

function read(raw: string, max?: number): HttpRequestHead {
  const reader = new HttpHeadReader(parseRequestHead, max);
  const result = reader.push(text(raw));
  assert.ok(result);
  return result.head;
}

function rejects(raw: string, status: number, code: string, options: Partial<ServerHandshakeOptions> = {}) {
  assert.throws(
    () => acceptHandshake(read(raw), { sha1, ...options }),
    (e: unknown) => e instanceof HandshakeError && e.status === status && e.code === code,
  );
}

const withHeader = (name: string, value: string | null) => {
  const lines = GOOD.split('\r\n').filter((l) => !l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  if (value !== null) lines.splice(1, 0, `${name}: ${value}`);
  return lines.join('\r\n');
};

describe('§4.2.1 reading the client’s handshake', () => {
  it('the RFC example key yields the RFC example accept value', () => {
    assert.equal(computeAcceptKey(RFC_KEY, sha1), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('the accept value is base64(SHA-1(key + GUID)) for any key, and base64 matches RFC 4648 for any length', () => {
    const reference = (key: string) =>
      createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (nonce) => {
        const key = Buffer.from(nonce).toString('base64');
        assert.equal(computeAcceptKey(key, sha1), reference(key));
      }),
    );
    fc.assert(fc.property(fc.string(), (key) => assert.equal(computeAcceptKey(key, sha1), reference(key))));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) =>
        assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64')),
      ),
    );
  });

  it('accepts the RFC example and answers 101 with the accept key', () => {
    const accepted = acceptHandshake(read(GOOD), { sha1, selectSubprotocol: (offered) => offered[1] });
    const response = accepted.response;
    assert.match(response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    assert.match(response, /\r\nSec-WebSocket-Protocol: superchat\r\n/);
    assert.ok(response.endsWith('\r\n\r\n'));
    assert.equal(accepted.protocol, 'superchat');
  });

  it('the head reader accepts the request one byte at a time and returns the bytes after it', () => {
    const reader = new HttpHeadReader(parseRequestHead);
    const bytes = text(GOOD + 'EXTRA');
    let result = null;
    for (let i = 0; i < bytes.length && !result; i++) result = reader.push(bytes.subarray(i, i + 1));
    assert.ok(result);
    assert.equal(result.head.headers.get('sec-websocket-key'), RFC_KEY);
    // The head ends before "EXTRA"; bytes after it arrive in later pushes.
    assert.equal(result.rest.length, 0);
  });

  it('head bytes are read as latin1, ASCII or not', () => {
    const bytes = new Uint8Array([
      ...text(GOOD.replace('\r\n\r\n', '\r\nX-Name: caf')),
      0xe9,
      0x80,
      0xff,
      ...text('\r\n\r\n'),
    ]);
    const result = new HttpHeadReader(parseRequestHead).push(bytes);
    assert.equal(result?.head.headers.get('x-name'), 'caf\u00e9\u0080\u00ff');
    assert.equal(result?.head.headers.get('host'), 'server.example.com');
  });

  it('Upgrade and Connection are matched as case-insensitive token lists', () => {
    const raw = withHeader('Connection', 'keep-alive, UPGRADE').replace('Upgrade: websocket', 'Upgrade: WebSocket');
    assert.ok(acceptHandshake(read(raw), { sha1 }));
  });

  it('over the header-bytes limit → 431', () => {
    const big = GOOD.replace('\r\n\r\n', `\r\nX-Pad: ${'a'.repeat(20000)}\r\n\r\n`);
    assert.throws(
      () => read(big),
      (e: unknown) => e instanceof HandshakeError && e.status === 431 && e.code === ErrorCode.HeadTooLarge,
    );
    assert.throws(
      () => read(GOOD, 64),
      (e: unknown) => e instanceof HandshakeError && e.status === 431,
    );
  });

  it('a head that never ends is cut off at the limit without buffering more', () => {
    const reader = new HttpHeadReader(parseRequestHead, 1024);
    assert.throws(
      () => {
        for (let i = 0; i < 100; i++) reader.push(text('X-Slow: ' + 'a'.repeat(100) + '\r\n'));
      },
      (e: unknown) => e instanceof HandshakeError && e.status === 431,
    );
  });

  it('not GET → 405 with Allow', () => {
    assert.throws(
      () => acceptHandshake(read(GOOD.replace('GET', 'POST')), { sha1 }),
      (e: unknown) => e instanceof HandshakeError && e.status === 405 && e.headers.Allow === 'GET',
    );
  });
  it('HTTP/1.0 → 400', () => rejects(GOOD.replace('HTTP/1.1', 'HTTP/1.0'), 400, ErrorCode.MalformedHttp));
  it('no Host → 400', () => rejects(withHeader('Host', null), 400, ErrorCode.MissingHost));
  it('two Host headers → 400', () =>
    assert.throws(() => read(withHeader('Host', 'a').replace('Upgrade:', 'Host: b\r\nUpgrade:')), /duplicate Host/));
  it('no Upgrade → 426 naming websocket', () => rejects(withHeader('Upgrade', null), 426, ErrorCode.NotUpgrade));
  it('Connection without upgrade → 400', () =>
    rejects(withHeader('Connection', 'keep-alive'), 400, ErrorCode.NotUpgrade));
  it('version 8 → 426 with Sec-WebSocket-Version: 13', () => {
    assert.throws(
      () => acceptHandshake(read(withHeader('Sec-WebSocket-Version', '8')), { sha1 }),
      (e: unknown) =>
        e instanceof HandshakeError &&
        e.status === 426 &&
        e.headers['Sec-WebSocket-Version'] === '13' &&
        e.code === ErrorCode.UnsupportedVersion,
    );
  });
  it('missing version → 426', () =>
    rejects(withHeader('Sec-WebSocket-Version', null), 426, ErrorCode.UnsupportedVersion));
  for (const key of [
    '',
    'short',
    'dGhlIHNhbXBsZSBub25jZQ',
    'dGhlIHNhbXBsZSBub25jZQ=!',
    'dGhlIHNhbXBsZSBub25jZSBsb25n',
    'AAAAAAAAAAAAAAAAAAAAAA=',
  ]) {
    it(`key "${key}" → 400`, () => rejects(withHeader('Sec-WebSocket-Key', key), 400, ErrorCode.InvalidKey));
  }
  it('missing key → 400', () => rejects(withHeader('Sec-WebSocket-Key', null), 400, ErrorCode.InvalidKey));
  it('a refused Origin → 403', () =>
    rejects(GOOD, 403, ErrorCode.ForbiddenOrigin, { checkOrigin: (o) => o === 'https://good.example' }));
  it('an allowed Origin passes', () =>
    assert.ok(acceptHandshake(read(GOOD), { sha1, checkOrigin: (o) => o === 'http://example.com' })));
  it('requireSubprotocol refuses when none is chosen → 400', () =>
    rejects(GOOD, 400, ErrorCode.SubprotocolRejected, { requireSubprotocol: true, selectSubprotocol: () => null }));
  it('obsolete line folding → 400', () =>
    assert.throws(() => read(GOOD.replace('\r\nOrigin', '\r\n folded\r\nOrigin')), /folding/));
  it('a malformed request line → 400', () => assert.throws(() => read('GET  HTTP/1.1\r\n\r\n'), /request line/));
  // RFC 9112 §3.2; both found by test/http-head-differential.property.test.ts (Node refuses them too).
  it('a control character in the request target → 400', () =>
    assert.throws(() => read('GET /\x01 HTTP/1.1\r\n\r\n'), /request line/));
  // RFC 9110 §5.5: only SP and HTAB are trimmed; a bare LF next to a value is a line end to other parsers.
  it('a bare LF or CR at the edge of a value → 400, not trimmed away', () => {
    assert.throws(() => read(GOOD.replace('\r\nOrigin', '\r\nX-A: \nOrigin')), /invalid character/);
    assert.throws(() => read(GOOD.replace('\r\nOrigin', '\r\nX-A: v\r\r\nOrigin')), /invalid character/);
  });
});

describe('§9.1 extension negotiation hook', () => {
  it('parses offers with quoted and bare parameters', () => {
    assert.deepEqual(parseExtensionHeader('permessage-deflate; client_max_window_bits, x-foo; a="10"; b'), [
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
      {
        name: 'x-foo',
        params: [
          { name: 'a', value: '10' },
          { name: 'b', value: true },
        ],
      },
    ]);
    assert.throws(() => parseExtensionHeader('x-foo; ='), /malformed/);
    assert.throws(() => parseExtensionHeader('x-foo;; a'), /malformed/);
  });

  const noopExtension = {
    name: 'x-test',
    rsv: 0,
    encode: (payload: Uint8Array) => ({ payload, rsv: 0 }),
    startDecode: () => null,
    dispose() {},
  };

  it('calls the negotiator with its offers in order and answers with its choice', () => {
    const seen: unknown[] = [];
    const accepted = acceptHandshake(
      read(withHeader('Sec-WebSocket-Extensions', 'x-test; level=9, x-other, x-test; level=2')),
      {
        sha1,
        extensions: [
          {
            name: 'x-test',
            negotiate(offers) {
              seen.push(offers);
              const chosen = offers.find((o) => o[0]?.value === '2');
              return chosen ? { response: chosen, extension: noopExtension } : null;
            },
          },
        ],
      },
    );
    assert.deepEqual(seen, [[[{ name: 'level', value: '9' }], [{ name: 'level', value: '2' }]]]);
    assert.equal(accepted.extensionsHeader, 'x-test; level=2');
    assert.deepEqual(accepted.extensions, [noopExtension]);
    assert.match(accepted.response, /Sec-WebSocket-Extensions: x-test; level=2\r\n/);
  });

  it('a declining negotiator leaves the extension out', () => {
    const accepted = acceptHandshake(read(withHeader('Sec-WebSocket-Extensions', 'x-test')), {
      sha1,
      extensions: [{ name: 'x-test', negotiate: () => null }],
    });
    assert.equal(accepted.extensionsHeader, '');
  });
});

describe('rejection responses', () => {
  it('are complete HTTP responses with a reason, the error code, and close the connection', () => {
    const raw = new TextDecoder().decode(
      renderRejection(
        new HandshakeError(ErrorCode.UnsupportedVersion, 426, 'unsupported', { 'Sec-WebSocket-Version': '13' }),
      ),
    );
    assert.match(raw, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    assert.match(raw, /\r\nConnection: close\r\n/);
    assert.match(raw, /\r\nSec-WebSocket-Version: 13\r\n/);
    assert.match(raw, /\r\nX-Switchboard-Error: SB_ERR_UNSUPPORTED_VERSION\r\n/);
    assert.match(raw, /\r\nContent-Length: 12\r\n/);
    assert.ok(raw.endsWith('\r\n\r\nunsupported\n'));
  });
});

describe('§4.1 client side', () => {
  const extension = {
    name: 'x-test',
    rsv: 0,
    encode: (payload: Uint8Array) => ({ payload, rsv: 0 }),
    startDecode: () => null,
    dispose() {},
  };
  const offer = {
    protocols: ['a.v1', 'b.v1'],
    extensions: [{ name: 'x-test', offer: () => [[]], accept: () => extension }],
  };
  const handshake = () => createClientHandshake({ host: 'h:1', path: '/p?q', randomFill: (b) => b.fill(7), ...offer });
  const response = (lines: string[]) => parseResponseHead(lines.join('\r\n'));

  it('builds a request with a fresh 16-byte key and the offers', () => {
    const hs = handshake();
    const req = new TextDecoder().decode(hs.request);
    assert.match(req, /^GET \/p\?q HTTP\/1\.1\r\nHost: h:1\r\n/);
    assert.equal(Buffer.from(hs.key, 'base64').length, 16);
    assert.match(req, /Sec-WebSocket-Protocol: a\.v1, b\.v1\r\n/);
    assert.match(req, /Sec-WebSocket-Extensions: x-test\r\n/);
    assert.match(req, /Sec-WebSocket-Version: 13\r\n/);
  });

  const ok = (hs: ReturnType<typeof handshake>) => [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAcceptKey(hs.key, sha1)}`,
  ];

  it('accepts a correct 101 with an offered subprotocol and extension', () => {
    const hs = handshake();
    const result = verifyServerHandshake(
      response([...ok(hs), 'Sec-WebSocket-Protocol: b.v1', 'Sec-WebSocket-Extensions: x-test']),
      hs,
      offer,
      sha1,
    );
    assert.equal(result.protocol, 'b.v1');
    assert.equal(result.extensionsHeader, 'x-test');
  });

  const bad: [string, (hs: ReturnType<typeof handshake>) => string[], string][] = [
    ['a non-101 status', () => ['HTTP/1.1 200 OK'], ErrorCode.UnexpectedStatus],
    [
      'a wrong accept value',
      (hs) => [...ok(hs).slice(0, 3), 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ErrorCode.InvalidAccept,
    ],
    ['no Upgrade header', (hs) => ok(hs).filter((l) => !l.startsWith('Upgrade')), ErrorCode.NotUpgrade],
    ['a subprotocol not offered', (hs) => [...ok(hs), 'Sec-WebSocket-Protocol: c.v1'], ErrorCode.UnexpectedSubprotocol],
    [
      'an extension not offered',
      (hs) => [...ok(hs), 'Sec-WebSocket-Extensions: x-evil'],
      ErrorCode.UnexpectedExtension,
    ],
    [
      'the same extension twice',
      (hs) => [...ok(hs), 'Sec-WebSocket-Extensions: x-test, x-test'],
      ErrorCode.UnexpectedExtension,
    ],
  ];
  for (const [name, lines, code] of bad) {
    it(`refuses ${name}`, () => {
      const hs = handshake();
      assert.throws(() => verifyServerHandshake(response(lines(hs)), hs, offer, sha1), { code });
    });
  }
});
