// Interop with Debian's python3-websockets (10.x) on real sockets, in both directions.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer, type CloseEvent, type WebSocketOptions } from '@switchboard/websocket';
import { connect as netConnect, type Socket } from 'node:net';
import {
  NOTE,
  countingEchoServer,
  jsonDocument,
  quote,
  utf8Bytes,
  type CountingEchoServer,
  type RecordedConnection,
} from './helpers/wire.js';

// The pyenv python3 on PATH lacks the package; Debian's interpreter has it.
const PYTHON = '/usr/bin/python3';
const FIXTURES = fileURLToPath(new URL('./fixtures/python/', import.meta.url));
const TEXT = 'héllo ✓ 🚀';
const BINARY = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
const MiB = 1024 * 1024;
/** Same formula as echo_client.py, so both sides build the 1 MiB payload independently. */
const BIG = Buffer.from(Uint8Array.from({ length: MiB }, (_, i) => (i * 31 + 7) & 0xff));

const children = new Set<ChildProcess>();

function python(script: string, args: string[] = []): ChildProcess {
  const child = spawn(PYTHON, [FIXTURES + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children)
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Collects a child's whole output; rejects on a non-zero exit so Python's traceback shows in the failure. */
async function run(child: ChildProcess): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  if (code !== 0) throw new Error(`python exited ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`);
  return stdout;
}

/** Yields stdout lines of a long-running child as they arrive. */
function lines(child: ChildProcess): { next(): Promise<string>; stderr(): string } {
  const ready: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buffered += s;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else ready.push(line);
    }
  });
  return {
    next: () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    stderr: () => stderr,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('our server ⇄ python-websockets client', () => {
  let server: WebSocketServer;
  let port: number;
  const serverCloses = new Map<string, { code: number; reason: string; wasClean: boolean }>();
  const closed = new Map<string, Promise<void>>();

  before(async () => {
    server = new WebSocketServer();
    server.on('connection', (ws, request) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      closed.set(
        request.target,
        new Promise((resolve) =>
          ws.on('close', (code, reason, wasClean) => {
            serverCloses.set(request.target, { code, reason, wasClean });
            resolve();
          }),
        ),
      );
    });
    ({ port } = await server.listen(0));
  });
  after(async () => {
    killAll();
    await server.close();
  });

  it('echoes text, binary and 1 MiB, answers a ping, and sees both close codes', { timeout: 20000 }, async () => {
    const spec = { text: TEXT, binary_hex: BINARY.toString('hex'), big_size: BIG.length };
    const stdout = await withTimeout(
      run(python('echo_client.py', [`ws://127.0.0.1:${port}/`, JSON.stringify(spec)])),
      18000,
      'python client',
    );
    const out = JSON.parse(stdout);

    assert.deepEqual(out.extensions, [], 'no extension configured, so the offered permessage-deflate is declined');
    assert.deepEqual(out.text, { type: 'str', value: TEXT });
    assert.deepEqual(out.binary, { type: 'bytes', hex: BINARY.toString('hex') });
    assert.deepEqual(out.big, { type: 'bytes', length: MiB, sha256: sha256(BIG) });
    assert.equal(out.pong, true);
    // §5.5.1: our server echoes the status code of the close frame it received.
    assert.equal(out.first_close.code, 1000);
    assert.equal(out.second_close.code, 4000);

    await withTimeout(Promise.all([closed.get('/first'), closed.get('/second')]), 5000, 'server close events');
    assert.deepEqual(serverCloses.get('/first'), { code: 1000, reason: '', wasClean: true });
    assert.deepEqual(serverCloses.get('/second'), { code: 4000, reason: 'py bye ✓', wasClean: true });
  });
});

describe('our client ⇄ python-websockets echo server', () => {
  let peer: ChildProcess;
  let out: ReturnType<typeof lines>;
  let url: string;

  before(async () => {
    peer = python('echo_server.py');
    out = lines(peer);
    const first = await withTimeout(out.next(), 10000, 'python server port').catch((error) => {
      throw new Error(`${error.message}\nstderr: ${out.stderr()}`);
    });
    assert.match(first, /^\d+$/, `expected a port, got ${first}`);
    url = `ws://127.0.0.1:${first}`;
  });
  after(() => killAll());

  async function open(path: string): Promise<WebSocket> {
    const ws = new WebSocket(url + path);
    ws.binaryType = 'arraybuffer';
    const [event] = await withTimeout(Promise.race([once(ws, 'open'), once(ws, 'close')]), 5000, `open ${path}`);
    assert.equal((event as Event).type, 'open', `could not connect to ${path}`);
    return ws;
  }
  const next = (ws: WebSocket) =>
    withTimeout(once(ws, 'message'), 10000, 'echo').then(([e]) => (e as MessageEvent).data);
  const closeEvent = (ws: WebSocket) => withTimeout(once(ws, 'close'), 10000, 'close').then(([e]) => e as CloseEvent);
  /** The JSON line Python prints when a connection ends: what close frame reached it. */
  const pythonSaw = async () => JSON.parse(await withTimeout(out.next(), 5000, 'python close report'));

  it('echoes text, binary (arraybuffer) and 1 MiB, then closes cleanly with 1000', { timeout: 20000 }, async () => {
    const ws = await open('/echo');
    ws.send(TEXT);
    assert.equal(await next(ws), TEXT);

    ws.send(BINARY);
    const bin = await next(ws);
    assert.ok(bin instanceof ArrayBuffer, 'binaryType arraybuffer yields an ArrayBuffer');
    assert.deepEqual(Buffer.from(bin), BINARY);

    ws.send(BIG);
    const big = await next(ws);
    assert.ok(big instanceof ArrayBuffer);
    assert.equal(big.byteLength, MiB);
    assert.equal(sha256(new Uint8Array(big)), sha256(BIG));

    ws.close(1000);
    const event = await closeEvent(ws);
    assert.deepEqual([event.code, event.wasClean], [1000, true]);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    assert.deepEqual(await pythonSaw(), { path: '/echo', code: 1000, reason: '' });
  });

  it('closes with 3001 and a reason; python receives and echoes both', { timeout: 20000 }, async () => {
    const ws = await open('/close3001');
    ws.close(3001, 'node bye ✓');
    const event = await closeEvent(ws);
    // python-websockets echoes the whole close frame, reason included.
    assert.deepEqual([event.code, event.reason, event.wasClean], [3001, 'node bye ✓', true]);
    assert.deepEqual(await pythonSaw(), { path: '/close3001', code: 3001, reason: 'node bye ✓' });
  });
});

// --- permessage-deflate (RFC 7692): python-websockets 10.x compresses by default on both ends ---

/** Bytes that crossed the socket between two counter snapshots. */
const delta = (from: { read: number; written: number }, to: { read: number; written: number }) => ({
  read: to.read - from.read,
  written: to.written - from.written,
});

/** Python's view of the negotiated extension (deflate_client.py / echo_server.py describe()). */
interface PythonDeflate {
  name: string;
  remote_no_context_takeover: boolean;
  local_no_context_takeover: boolean;
  remote_max_window_bits: number;
  local_max_window_bits: number;
}

/** Parses "permessage-deflate; a; b=12" into its parameters; throws on any other extension list. */
function deflateParams(header: string): Map<string, string | true> {
  const [name, ...params] = header.split(';').map((s) => s.trim());
  assert.equal(name, 'permessage-deflate', `negotiated ${JSON.stringify(header)}`);
  return new Map(
    params.map((p) => {
      const [k, v] = p.split('=');
      return [k, v === undefined ? true : v] as const;
    }),
  );
}

/** What the python side must have agreed, given the header our side sent or received. Python is `role`. */
function expectedPythonView(header: string, role: 'client' | 'server'): PythonDeflate {
  const p = deflateParams(header);
  const bits = (name: string) => (typeof p.get(name) === 'string' ? Number(p.get(name)) : 15);
  const [local, remote] = role === 'client' ? ['client', 'server'] : ['server', 'client'];
  return {
    name: 'permessage-deflate',
    remote_no_context_takeover: p.has(`${remote}_no_context_takeover`),
    local_no_context_takeover: p.has(`${local}_no_context_takeover`),
    remote_max_window_bits: bits(`${remote}_max_window_bits`),
    local_max_window_bits: bits(`${local}_max_window_bits`),
  };
}

describe('permessage-deflate: our server ⇄ python-websockets client', () => {
  const servers: CountingEchoServer[] = [];
  after(async () => {
    killAll();
    for (const server of servers) await server.close();
  });

  /** Runs deflate_client.py against a fresh counting echo server; returns Python's report and the server's record. */
  async function exchange(options: ConstructorParameters<typeof WebSocketServer>[0], spec: object) {
    const server = await countingEchoServer(options!);
    servers.push(server);
    const connection = server.nextConnection();
    const stdout = await withTimeout(
      run(
        python('deflate_client.py', [`ws://127.0.0.1:${server.port}/deflate`, JSON.stringify({ note: NOTE, ...spec })]),
      ),
      28000,
      'python deflate client',
    );
    const record: RecordedConnection = await withTimeout(connection, 1000, 'server connection');
    const closed = await withTimeout(record.closed, 5000, 'server close event');
    assert.equal(server.connections.length, 1, 'one TCP connection per run');
    return { out: JSON.parse(stdout), record, closed };
  }

  it('perMessageDeflate: true (no context takeover, threshold 1 KiB): extension agreed on both sides, ~100 KB JSON, ' +
    '1 MiB binary, 200 pipelined 1.4 KB messages', {
    timeout: 35000,
  }, async (t) => {
    const ROWS = 640;
    const COUNT = 200;
    const BOOK = 150;
    const doc = jsonDocument(ROWS);
    const small = Array.from({ length: COUNT }, (_, i) => quote(i, BOOK));
    assert.ok(
      Buffer.byteLength(doc) >= 100_000 && Buffer.byteLength(doc) < 120_000,
      `document is ${Buffer.byteLength(doc)} bytes`,
    );
    assert.ok(
      small.every((m) => Buffer.byteLength(m) > 1024 && Buffer.byteLength(m) < 2048),
      'every small message is above the 1 KiB threshold',
    );

    const { out, record, closed } = await exchange(
      { perMessageDeflate: true },
      { text: TEXT, rows: ROWS, big_size: MiB, count: COUNT, book: BOOK },
    );

    // Negotiation: our server's safe defaults, and Python agrees with exactly what the header says.
    const header = record.ws.extensions;
    assert.ok(header.includes('permessage-deflate'), `server negotiated ${JSON.stringify(header)}`);
    const params = deflateParams(header);
    assert.ok(params.has('server_no_context_takeover') && params.has('client_no_context_takeover'), header);
    assert.deepEqual(out.extensions, [expectedPythonView(header, 'client')]);
    assert.equal(out.extensions[0].remote_no_context_takeover, true);
    assert.equal(out.extensions[0].local_no_context_takeover, true);

    // Python saw its own messages come back, in order.
    assert.deepEqual(
      out.text,
      { type: 'str', value: TEXT },
      'a message below the threshold (sent uncompressed) is echoed',
    );
    assert.deepEqual(out.document, { type: 'str', length: Buffer.byteLength(doc), equal: true });
    assert.deepEqual(out.big, { type: 'bytes', length: MiB, sha256: sha256(BIG) });
    assert.deepEqual(out.messages, { count: COUNT, first_mismatch: null });
    assert.deepEqual(out.close, { code: 1000, reason: '' });
    assert.deepEqual([closed.code, closed.reason, closed.wasClean], [1000, '', true]);

    // Our server inflated exactly what Python compressed.
    const m = record.messages;
    assert.equal(m.length, 3 + COUNT);
    assert.deepEqual([m[0].isBinary, m[0].data.toString()], [false, TEXT]);
    assert.deepEqual([m[1].isBinary, m[1].data.toString() === doc], [false, true]);
    assert.deepEqual([m[2].isBinary, m[2].data.length, sha256(m[2].data)], [true, MiB, sha256(BIG)]);
    for (let i = 0; i < COUNT; i++)
      assert.equal(m[3 + i].data.toString(), small[i], `message ${i} as the server received it`);

    // The wire: each phase really went compressed in both directions. Python sends the next
    // phase only after the previous echo arrived, so snapshot differences isolate each phase.
    const wire = {
      documentIn: delta(m[0], m[1]).read,
      documentOut: delta(m[1], m[2]).written,
      bigIn: delta(m[1], m[2]).read,
      bigOut: delta(m[2], m[3]).written,
      smallIn: delta(m[2], m[3 + COUNT - 1]).read,
      smallOut: delta(m[3], closed).written,
    };
    t.diagnostic(
      `wire bytes: ${JSON.stringify(wire)} for document ${Buffer.byteLength(doc)}, big ${MiB}, ` +
        `small ${utf8Bytes(small)}`,
    );
    // Uncompressed, each would cost at least its payload; the bounds leave room for zlib versions.
    assert.ok(wire.documentIn < Buffer.byteLength(doc) / 10, `document python→server: ${wire.documentIn} bytes`);
    assert.ok(wire.documentOut < Buffer.byteLength(doc) / 10, `document server→python: ${wire.documentOut} bytes`);
    assert.ok(wire.bigIn < MiB / 50, `1 MiB python→server: ${wire.bigIn} bytes`);
    assert.ok(wire.bigOut < MiB / 50, `1 MiB server→python: ${wire.bigOut} bytes`);
    // No context takeover: each 1.4 KB message is compressed on its own, so the gain is modest.
    assert.ok(wire.smallIn < utf8Bytes(small) * 0.7, `200 messages python→server: ${wire.smallIn} bytes`);
    assert.ok(wire.smallOut < utf8Bytes(small) * 0.7, `200 messages server→python: ${wire.smallOut} bytes`);
  });

  it('context takeover both ways, threshold 0: empty messages, then 1000 pipelined JSON messages echoed in order', {
    timeout: 35000,
  }, async (t) => {
    const COUNT = 1000;
    const BOOK = 20;
    const sent = Array.from({ length: COUNT }, (_, i) => quote(i, BOOK));
    const { out, record, closed } = await exchange(
      { perMessageDeflate: { threshold: 0, serverNoContextTakeover: false, clientNoContextTakeover: false } },
      { empties: true, count: COUNT, book: BOOK },
    );

    const header = record.ws.extensions;
    assert.ok(header.includes('permessage-deflate'), `server negotiated ${JSON.stringify(header)}`);
    assert.ok(!header.includes('no_context_takeover'), header);
    assert.deepEqual(out.extensions, [expectedPythonView(header, 'client')]);
    assert.equal(out.extensions[0].remote_no_context_takeover, false);
    assert.equal(out.extensions[0].local_no_context_takeover, false);

    // Empty messages inside a compressed context (RFC 7692 §7.2.3.6) go through both ways.
    assert.deepEqual(out.empties, [
      { type: 'str', length: 0 },
      { type: 'bytes', length: 0 },
    ]);
    assert.deepEqual(out.messages, { count: COUNT, first_mismatch: null });
    assert.deepEqual(out.close, { code: 1000, reason: '' });
    assert.deepEqual([closed.code, closed.wasClean], [1000, true]);
    const [emptyText, emptyBinary, ...messages] = record.messages;
    assert.deepEqual(
      [emptyText.isBinary, emptyText.data.length, emptyBinary.isBinary, emptyBinary.data.length],
      [false, 0, true, 0],
    );
    assert.equal(messages.length, COUNT);
    for (let i = 0; i < COUNT; i++)
      assert.equal(messages[i].data.toString(), sent[i], `message ${i} as the server received it`);

    // With the LZ77 window carried across messages, each similar message costs a few bytes;
    // compressed one by one they would cost about three quarters of their size, so this bound needs takeover.
    const payload = utf8Bytes(sent);
    const wire = { in: delta(emptyBinary, messages[COUNT - 1]).read, out: delta(messages[0], closed).written };
    t.diagnostic(`wire bytes: ${JSON.stringify(wire)} for ${payload} bytes of messages`);
    assert.ok(wire.in < payload / 5, `python→server: ${wire.in} bytes`);
    assert.ok(wire.out < payload / 5, `server→python: ${wire.out} bytes`);
  });
});

describe('permessage-deflate: our client ⇄ python-websockets echo server', () => {
  let out: ReturnType<typeof lines>;
  let url: string;

  before(async () => {
    out = lines(python('echo_server.py'));
    const first = await withTimeout(out.next(), 10000, 'python server port').catch((error) => {
      throw new Error(`${error.message}\nstderr: ${out.stderr()}`);
    });
    assert.match(first, /^\d+$/, `expected a port, got ${first}`);
    url = `ws://127.0.0.1:${first}`;
  });
  after(() => killAll());

  /**
   * Our client against the Python echo server on /extensions: Python's view of the extension,
   * then ~100 KB of JSON, 1 MiB binary and `sent` back to back; every echo checked in order.
   * Returns the negotiated header and the wire bytes of each phase, from the client's socket.
   */
  async function exchange(options: WebSocketOptions, sent: string[]) {
    let socket: Socket | undefined;
    const ws = new WebSocket(`${url}/extensions`, [], {
      ...options,
      maxMessageSize: 2 ** 24,
      createConnection: (u) => (socket = netConnect({ host: u.hostname, port: Number(u.port) })),
    });
    ws.binaryType = 'arraybuffer';
    const received: (string | ArrayBuffer)[] = [];
    const waiters: { n: number; resolve: () => void }[] = [];
    ws.addEventListener('message', (e) => {
      received.push((e as MessageEvent).data);
      for (const w of waiters.filter((w) => received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    const until = (n: number, what: string) =>
      withTimeout(
        received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
        15000,
        `${what} (${received.length}/${n} messages)`,
      );
    const counters = () => ({ read: socket!.bytesRead, written: socket!.bytesWritten });

    const [event] = await withTimeout(Promise.race([once(ws, 'open'), once(ws, 'close')]), 5000, 'open');
    assert.equal((event as Event).type, 'open');
    assert.ok(ws.extensions.includes('permessage-deflate'), `client negotiated ${JSON.stringify(ws.extensions)}`);
    await until(1, 'python extension report');
    assert.deepEqual(JSON.parse(received[0] as string), [expectedPythonView(ws.extensions, 'server')]);

    // ~100 KB of compressible JSON text. Python sends nothing but echoes, so a phase's
    // counters span exactly our message and its echo.
    const doc = jsonDocument(640);
    let before = counters();
    ws.send(doc);
    await until(2, 'document echo');
    const document = delta(before, counters());
    assert.equal(received[1], doc);

    // 1 MiB binary.
    before = counters();
    ws.send(BIG);
    await until(3, '1 MiB echo');
    const big = delta(before, counters());
    const bigEcho = received[2];
    assert.ok(bigEcho instanceof ArrayBuffer);
    assert.equal(bigEcho.byteLength, MiB);
    assert.equal(sha256(new Uint8Array(bigEcho)), sha256(BIG));

    // Messages sent back to back, echoes checked in order.
    before = counters();
    for (const message of sent) ws.send(message);
    await until(3 + sent.length, 'pipelined echoes');
    const many = delta(before, counters());
    for (let i = 0; i < sent.length; i++) assert.equal(received[3 + i], sent[i], `echo ${i}`);

    ws.close(1000);
    const closeEvent = await withTimeout(once(ws, 'close'), 10000, 'close').then(([e]) => e as CloseEvent);
    assert.deepEqual([closeEvent.code, closeEvent.wasClean], [1000, true]);
    assert.deepEqual(JSON.parse(await withTimeout(out.next(), 5000, 'python close report')), {
      path: '/extensions',
      code: 1000,
      reason: '',
    });
    assert.equal(received.length, 3 + sent.length, 'nothing beyond the echoes');
    return { extensions: ws.extensions, document, big, many, docBytes: Buffer.byteLength(doc) };
  }

  const COUNT = 1000;
  const sent = Array.from({ length: COUNT }, (_, i) => quote(i, 20));
  /** Bytes of a masked client frame carrying `n` bytes uncompressed. */
  const maskedFrame = (n: number) => n + 2 + 4 + (n >= 126 ? (n > 0xffff ? 8 : 2) : 0);

  it('deflate offered by default: agreed on both sides, ~100 KB JSON, 1 MiB binary, 1000 pipelined sub-threshold ' +
    'messages in order', {
    timeout: 35000,
  }, async (t) => {
    const wire = await exchange({}, sent);
    t.diagnostic(
      `${wire.extensions}; wire bytes: ${JSON.stringify({ document: wire.document, big: wire.big, many: wire.many })}` +
        `; ${utf8Bytes(sent)} bytes of messages`,
    );
    // Both directions compressed.
    assert.ok(
      wire.document.written < wire.docBytes / 10 && wire.document.read < wire.docBytes / 10,
      `document: ${JSON.stringify(wire.document)}`,
    );
    assert.ok(wire.big.written < MiB / 50 && wire.big.read < MiB / 50, `1 MiB: ${JSON.stringify(wire.big)}`);
    // The ~240-byte messages are under our client's default 1 KiB threshold, so they leave
    // uncompressed (exact plain frames), while Python compresses its echoes with context takeover.
    assert.ok(sent.every((m) => Buffer.byteLength(m) < 1024));
    assert.equal(
      wire.many.written,
      sent.reduce((n, m) => n + maskedFrame(Buffer.byteLength(m)), 0),
      'plain frames below the threshold',
    );
    assert.ok(wire.many.read < utf8Bytes(sent) / 5, `1000 echoes python→client: ${wire.many.read} bytes`);
  });

  it('perMessageDeflate: { threshold: 0 }: every message compressed with context takeover, 1000 pipelined messages ' +
    'in order', {
    timeout: 35000,
  }, async (t) => {
    const wire = await exchange({ perMessageDeflate: { threshold: 0 } }, sent);
    t.diagnostic(
      `${wire.extensions}; wire bytes: ${JSON.stringify({ document: wire.document, big: wire.big, many: wire.many })}` +
        `; ${utf8Bytes(sent)} bytes of messages`,
    );
    const params = deflateParams(wire.extensions);
    assert.ok(!params.has('client_no_context_takeover') && !params.has('server_no_context_takeover'), wire.extensions);
    assert.ok(
      wire.document.written < wire.docBytes / 10 && wire.document.read < wire.docBytes / 10,
      `document: ${JSON.stringify(wire.document)}`,
    );
    assert.ok(wire.big.written < MiB / 50 && wire.big.read < MiB / 50, `1 MiB: ${JSON.stringify(wire.big)}`);
    // Compressed one by one these would cost about three quarters of their size; this bound needs takeover.
    assert.ok(wire.many.written < utf8Bytes(sent) / 5, `1000 messages client→python: ${wire.many.written} bytes`);
    assert.ok(wire.many.read < utf8Bytes(sent) / 5, `1000 echoes python→client: ${wire.many.read} bytes`);
  });
});
