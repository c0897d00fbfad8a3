// The HTTP/1.1 head reader and parsers (RFC 9112 §2–§5, RFC 9110 §5), case by case: the boundaries and rules
// that mutation testing (npm run mutation -- protocol) found no test for. Grouped by RFC section.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HandshakeError,
  HttpHeadReader,
  hasToken,
  headerList,
  isToken,
  parseRequestHead,
  parseResponseHead,
} from '../src/index.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const read = (text: string, max = 16 * 1024) => new HttpHeadReader(parseRequestHead, max).push(bytes(text));
const refused = (f: () => unknown, status: number, message: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof HandshakeError && e.status === status && message.test(e.message));

describe('RFC 9112 §2.1: the head ends at the first CRLF CRLF', () => {
  it('any one of its four bytes changed: not the end yet', () => {
    const head = 'GET / HTTP/1.1\r\nA: b';
    for (const end of ['x\n\r\n', '\rx\r\n', '\r\nx\n', '\r\n\rx'])
      assert.equal(read(head + end), null, JSON.stringify(end));
    assert.deepEqual(read(`${head}\r\n\r\n`)?.head.headers, new Map([['a', 'b']]));
  });
  it('the bytes after it are the rest, untouched', () => {
    assert.deepEqual([...(read('GET / HTTP/1.1\r\n\r\n\x81\x00')?.rest ?? [])], [0x81, 0]);
  });
});

describe('maxHeaderBytes: a head of exactly the limit passes, one byte more is 431 with the limit', () => {
  const exactly = (n: number) => {
    const start = 'GET / HTTP/1.1\r\nX: ';
    return `${start}${'v'.repeat(n - start.length - 4)}\r\n\r\n`;
  };
  it('a complete head', () => {
    assert.ok(read(exactly(100), 100));
    refused(() => read(exactly(101), 100), 431, /^HTTP head exceeds 100 bytes$/);
  });
  it('an incomplete head: held up to the limit, refused past it', () => {
    assert.equal(read('G'.repeat(100), 100), null);
    refused(() => read('G'.repeat(101), 100), 431, /exceeds 100 bytes/);
  });
});

describe('RFC 9112 §3: the request line', () => {
  it('exactly method SP target SP version', () => {
    for (const line of [
      'GET / HTTP/1.1 x',
      'GET /',
      '@GET / HTTP/1.1',
      'GET@ / HTTP/1.1',
      'GET / XHTTP/1.1',
      'GET / HTTP/1.1x',
    ]) {
      refused(() => read(`${line}\r\n\r\n`), 400, /malformed request line/);
    }
  });
  it('the target holds no control character, DEL included', () => {
    for (const target of ['/\x00', '/a\x1fb', '/\x7f'])
      refused(() => read(`GET ${target} HTTP/1.1\r\n\r\n`), 400, /request line/);
  });
  it('the method is a token', () => {
    assert.ok(isToken('M-SEARCH') && !isToken('@GET') && !isToken('GET@') && !isToken(''));
  });
});

describe('RFC 9112 §4: the status line (the client reads the 101)', () => {
  const status = (line: string) => parseResponseHead(`${line}\r\nA: b`);
  it('the reason phrase is optional', () => {
    assert.deepEqual(
      [status('HTTP/1.1 101').statusText, status('HTTP/1.1 101 Switching Protocols').statusText],
      ['', 'Switching Protocols'],
    );
  });
  it('anything else is malformed', () => {
    for (const line of ['XHTTP/1.1 101', 'HTTP/1.1 1010', 'HTTP/1.1 10', 'HTTP/1.1  101'])
      refused(() => status(line), 400, /^malformed status line$/);
  });
});

describe('RFC 9110 §5: header fields', () => {
  it('a name is a token: a byte of 0x80 or above is not', () => {
    refused(() => read('GET / HTTP/1.1\r\nX\x80: v\r\n\r\n'), 400, /malformed header line/);
  });
  it('a line without a colon is malformed, also when a later line has one', () => {
    refused(() => read('GET / HTTP/1.1\r\nNoColon\r\nA: b\r\n\r\n'), 400, /malformed header line/);
  });
  it('names are case-insensitive: lower-cased, A and Z included', () => {
    assert.deepEqual(
      [...(read('GET / HTTP/1.1\r\nA: 1\r\nZ: 2\r\nmIx: 3\r\n\r\n')?.head.headers ?? [])],
      [
        ['a', '1'],
        ['z', '2'],
        ['mix', '3'],
      ],
    );
  });
  it('a repeated field is joined with ", " (§5.3); only Host may not repeat', () => {
    assert.equal(read('GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n')?.head.headers.get('x-a'), '1, 2');
    refused(() => read('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'), 400, /duplicate Host header/);
  });
  it('lists: elements trimmed, empty ones dropped; no header is no element', () => {
    assert.deepEqual(headerList(' a ,, b,'), ['a', 'b']);
    assert.deepEqual(headerList(undefined), []);
  });
  it('hasToken: case-insensitive, in a list or alone; a same-length other token is not it', () => {
    assert.ok(hasToken('Upgrade', 'upgrade') && hasToken('keep-alive, Upgrade', 'upgrade'));
    assert.ok(!hasToken('upgrades', 'upgrade') && !hasToken('abcdefg', 'upgrade') && !hasToken(undefined, 'upgrade'));
  });
});
