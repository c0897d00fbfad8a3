// The core's HTTP head parser (packages/protocol/src/handshake/http-head.ts, which `WebSocketServer.listen` and
// `handleDuplex` use on raw sockets, and the client for 101 answers) against Node's own (llhttp, behind
// `http.createServer`, fed over a raw TCP socket) as a differential oracle, on heads made by fast-check: valid ones,
// and the request-smuggling shapes (Content-Length with Transfer-Encoding, duplicate Content-Length, obs-fold,
// bare LF, whitespace before the colon, control characters, duplicate Host), oversized heads.
//
// Where both accept, they must agree on method, target, version and every header. Where one accepts and the other
// refuses, the case must be one of the documented differences (DIFFERENCES below; docs/security.md#http-head-parser):
// the core parses heads for WebSocket upgrades only and never reads a body, so it has no view on body framing.
import assert from 'node:assert/strict';
import { createServer, METHODS, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { HandshakeError, HttpHeadReader, parseRequestHead } from '@switchboard/protocol';

const RUNS = Number(process.env.HEAD_FUZZ_RUNS ?? 1500);
const MAX_HEAD = 16 * 1024;

type Outcome =
  | { ok: true; method: string; target: string; version: string; headers: [string, string][] }
  | { ok: false; why: string };

function ours(bytes: Buffer): Outcome | 'incomplete' {
  try {
    const result = new HttpHeadReader(parseRequestHead, MAX_HEAD).push(new Uint8Array(bytes));
    if (!result) return 'incomplete';
    const { method, target, version, headers } = result.head;
    return { ok: true, method, target, version: version.slice(5), headers: [...headers].sort() };
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    return { ok: false, why: `${error.status} ${error.message}` };
  }
}

/** Node's verdict on one head, sent on a fresh connection; 'incomplete' when it waits for more. */
let pending: ((o: Outcome | 'incomplete') => void) | undefined;
function settle(outcome: Outcome) {
  pending?.(outcome);
  pending = undefined;
}
function fromNode(req: IncomingMessage): Outcome {
  // headersDistinct keeps every value, also of the headers whose duplicates req.headers drops.
  const headers = Object.entries(req.headersDistinct).map(([k, v]) => [k, (v ?? []).join(', ')] as [string, string]);
  return {
    ok: true,
    method: req.method ?? '',
    target: req.url ?? '',
    version: req.httpVersion,
    headers: headers.sort(),
  };
}

function nodes(port: number, bytes: Buffer): Promise<Outcome | 'incomplete'> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    const timer = setTimeout(() => finish('incomplete'), 1500);
    const finish = (o: Outcome | 'incomplete') => {
      clearTimeout(timer);
      pending = undefined;
      socket?.destroy();
      resolve(o);
    };
    pending = finish;
    socket = connect(port, '127.0.0.1', () => socket?.write(bytes));
    socket.on('error', () => {});
  });
}

// Header lines, each as raw text without its line end; the smuggling shapes are among them.
const tchar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~");
const name = fc.stringOf(tchar, { minLength: 1, maxLength: 12 });
const vchar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const value = fc.oneof(
  fc.stringOf(fc.oneof(vchar, fc.constant(' ')), { maxLength: 24 }).map((v) => v.trim()),
  fc.constantFrom('', '5', '0', 'chunked', 'gzip, chunked', 'websocket', 'Upgrade', 'keep-alive, Upgrade'),
);
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}: ${v}`) },
  fc.constantFrom(
    'Content-Length: 5',
    'Content-Length: 0',
    'Content-Length: 5, 5',
    'Content-Length: 6',
    'Transfer-Encoding: chunked',
  ),
  fc.constantFrom(
    'Transfer-Encoding: gzip',
    'Transfer-Encoding: chunked, identity',
    'Host: a.example',
    'Host: b.example',
  ),
  fc.constantFrom(
    ' folded',
    '\tfolded',
    'Name : spaced',
    'Name\t: tabbed',
    ': empty-name',
    'no-colon',
    'X-Nul: a\x00b',
  ),
  fc.constantFrom(
    'X-Cr: a\rb',
    'X-Del: a\x7fb',
    'X-Tab: a\tb',
    'X-Latin: caf\xe9',
    'X-Ws:   padded   ',
    'Upgrade: websocket',
  ),
);
const method = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS') },
  fc.constantFrom('get', 'G@T', 'BREW', ''),
);
const target = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('/', '/connection/websocket?x=1', '*', 'http://h/p') },
  fc.constantFrom('', '/a b', '/\x01'),
);
const version = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('HTTP/1.1', 'HTTP/1.0') },
  fc.constantFrom('HTTP/2.0', 'HTTP/1.10', 'http/1.1', 'HTTP/1'),
);
// Line ends: CRLF, or now and then a bare LF (or CR) on one line.
const eol = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r'));
const head = fc
  .record({
    method,
    target,
    version,
    lines: fc.array(fc.tuple(line, eol), { maxLength: 8 }),
    pad: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, fc.constantFrom(4000, 20_000)),
  })
  .map(({ method, target, version, lines, pad }) => {
    const padding = pad ? [[`X-Pad: ${'p'.repeat(pad)}`, '\r\n'] as [string, string]] : [];
    return `${method} ${target} ${version}\r\n${[...padding, ...lines].map(([l, e]) => l + e).join('')}\r\n`;
  });

/**
 * Where the two may differ, each with its reason. `why` is our refusal (or 'accepts'), `node` Node's (or 'accepts').
 * Every entry is a case where we are the stricter side, or where Node reads body framing that we never read.
 */
const DIFFERENCES: {
  name: string;
  applies: (text: string, o: Outcome | 'incomplete', n: Outcome | 'incomplete') => boolean;
}[] = [
  // Node refuses body framing it cannot trust (CL with TE, duplicate or list CL, TE without chunked last); a head
  // read by the core is an upgrade, whose bytes after the head are WebSocket frames: no body is ever framed by them.
  {
    name: 'body framing headers (Content-Length / Transfer-Encoding): Node refuses, the core ignores them',
    applies: (t, o, n) =>
      o !== 'incomplete' && o.ok && !(n as Outcome).ok && /\r\n(content-length|transfer-encoding):/i.test(t),
  },
  // Node (llhttp, strict by default) takes a bare LF as a line end; the core needs CRLF, so a head with a bare LF
  // is one long line to it: refused as malformed, or not yet complete.
  {
    name: 'bare LF or CR: Node reads a line end, the core refuses or waits',
    applies: (t, o) => /[^\r]\n|\r[^\n]/.test(t) && (o === 'incomplete' || !o.ok),
  },
  // RFC 9112 §3.2: a server must answer 400 to more than one Host; Node joins them.
  {
    name: 'duplicate Host: the core refuses, Node joins them',
    applies: (t, o) => /\r\nhost:[\s\S]*\r\nhost:/i.test(t) && o !== 'incomplete' && !o.ok && o.why.includes('Host'),
  },
  // Node knows a fixed list of methods (http.METHODS); the core takes any token (RFC 9110 §9.1).
  {
    name: 'a method Node does not know: any token to the core',
    applies: (_t, o, n) => o !== 'incomplete' && o.ok && n !== 'incomplete' && !n.ok && !METHODS.includes(o.method),
  },
];

describe('HTTP head parser: differential fuzz against Node’s own', () => {
  let server: Server;
  let port: number;
  before(async () => {
    // Host is the handshake's to check (RFC 6455 §4.2.1 needs it; the core's parser does not): not Node's.
    server = createServer({ maxHeaderSize: MAX_HEAD, requireHostHeader: false });
    server.on('request', (req, res) => {
      settle(fromNode(req));
      res.destroy();
    });
    server.on('upgrade', (req, socket) => {
      settle(fromNode(req));
      socket.destroy();
    });
    server.on('clientError', (error: Error & { code?: string }, socket) => {
      settle({ ok: false, why: error.code ?? error.message });
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it(`${RUNS} heads: both accept with the same head, or the difference is a documented one`, {
    timeout: 600_000,
  }, async (t) => {
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(head, async (text) => {
        const bytes = Buffer.from(text, 'latin1');
        const [o, n] = [ours(bytes), await nodes(port, bytes)];
        const ok = (x: Outcome | 'incomplete') => (x === 'incomplete' ? 'incomplete' : x.ok ? 'accepts' : 'refuses');
        if (ok(o) === ok(n)) {
          count(`both ${ok(o)}`);
          // Node lower-cases nothing in the version and gives "1.1"; headers compared name by name.
          if (o !== 'incomplete' && o.ok)
            assert.deepEqual(o, n, `the same head, both accepted: ${JSON.stringify(text)}`);
          return;
        }
        const known = DIFFERENCES.find((d) => d.applies(text, o, n));
        assert.ok(
          known,
          `undocumented difference on ${JSON.stringify(text.slice(0, 300))}: ` +
            `core ${JSON.stringify(o)}, node ${JSON.stringify(n)}`,
        );
        count(`differ: ${known.name}`);
      }),
      { numRuns: RUNS },
    );
    t.diagnostic(`head fuzz: ${RUNS} runs; ${[...tally].map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  });
});
