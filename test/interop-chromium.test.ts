// Interop with Chromium's native WebSocket (driven by playwright-core) against our server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from '@switchboard/websocket';
import { launchChromium } from './helpers/chromium.js';
import { countingEchoServer, jsonDocument, quote, utf8Bytes, type CountingEchoServer } from './helpers/wire.js';

const TEXT = 'héllo ✓ 🚀';
const MiB = 1024 * 1024;
/** The same formula runs in the page, so each side builds the 1 MiB payload independently. */
const bigByte = (i: number) => (i * 31 + 7) & 0xff;
const BIG_SHA256 = createHash('sha256')
  .update(Uint8Array.from({ length: MiB }, (_, i) => bigByte(i)))
  .digest('hex');

// Browser code lives in the served page as plain JS: functions passed to page.evaluate
// are compiled by tsx, whose helpers (e.g. __name) do not exist in the page.
const PAGE = `<!doctype html><meta charset="utf-8"><title>interop</title><script>
const open = (url, protocols) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => resolve(ws);
  ws.onerror = () => reject(new Error('could not open ' + url));
});
const nextMessage = (ws) => new Promise((resolve, reject) => {
  ws.onmessage = (e) => resolve(e.data);
  ws.onclose = (e) => reject(new Error('closed before a message: ' + e.code));
});
const closed = (ws) => new Promise((resolve) => {
  ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
});
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
window.interop = {
  async echo(url, data) {
    const ws = await open(url);
    ws.send(typeof data === 'string' ? data : new Uint8Array(data));
    const got = await nextMessage(ws);
    ws.close();
    await closed(ws);
    return typeof got === 'string' ? { type: 'string', value: got }
      : { type: Object.prototype.toString.call(got), bytes: Array.from(new Uint8Array(got)) };
  },
  async echoBig(url, size) {
    const sent = new Uint8Array(size);
    for (let i = 0; i < size; i++) sent[i] = (i * 31 + 7) & 0xff;
    const ws = await open(url);
    ws.send(sent);
    const got = await nextMessage(ws);
    ws.close();
    await closed(ws);
    return { type: Object.prototype.toString.call(got), length: got.byteLength, sha256: hex(await \
crypto.subtle.digest('SHA-256', got)) };
  },
  async protocol(url, offered) {
    const ws = await open(url, offered);
    const protocol = ws.protocol;
    ws.close();
    await closed(ws);
    return protocol;
  },
  async clientClose(url, code, reason) {
    const ws = await open(url);
    ws.close(code, reason);
    return closed(ws);
  },
  // Sends the big string, waits for its echo, then sends every message back to back and
  // waits for all echoes; reports what came back, compared in order.
  async deflate(url, big, messages) {
    const ws = await open(url);
    const extensions = ws.extensions;
    const received = [];
    let want = 0;
    let arrived = () => {};
    let failed = () => {};
    ws.onmessage = (e) => { received.push(e.data); if (received.length === want) arrived(); };
    ws.onclose = (e) => failed(new Error('closed early: ' + e.code + ' after ' + received.length + ' messages'));
    const until = (n) => received.length >= n ? Promise.resolve()
      : new Promise((resolve, reject) => { want = n; arrived = resolve; failed = reject; });
    ws.send(big);
    await until(1);
    for (const m of messages) ws.send(m);
    await until(1 + messages.length);
    const echoes = received.slice(1);
    ws.close(1000);
    const close = await closed(ws);
    return {
      extensions,
      big: { type: typeof received[0], length: received[0].length, equal: received[0] === big },
      count: echoes.length,
      firstMismatch: echoes.findIndex((m, i) => m !== messages[i]),
      close,
    };
  },
  async serverClose(url) {
    const ws = new WebSocket(url);
    let opened = false;
    ws.onopen = () => { opened = true; };
    const event = await closed(ws);
    return { opened, ...event };
  },
};
</script>`;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Echo server that closes with 4002/'srv' on /server-close and reports every 'close' event by request path. */
function echoServer(): { wss: WebSocketServer; closes: EventEmitter } {
  const wss = new WebSocketServer({ protocols: ['chat.v1'] });
  const closes = new EventEmitter();
  wss.on('connection', (ws, request) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code, reason, wasClean) => closes.emit(request.target, { code, reason, wasClean }));
    if (request.target === '/server-close') ws.close(4002, 'srv');
  });
  return { wss, closes };
}

describe('Chromium WebSocket ⇄ our server', () => {
  let browser: Browser;
  let page: Page;
  let http: Server;
  const attached = echoServer();
  const standalone = echoServer();
  let wsUrl: string;
  let standaloneUrl: string;

  // No skip path: a missing or broken Chromium must fail the suite.
  before(
    async () => {
      http = createServer((req, res) => {
        if (req.url !== '/') return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      });
      attached.wss.attach(http);
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const { port } = http.address() as AddressInfo;
      wsUrl = `ws://127.0.0.1:${port}`;
      standaloneUrl = `ws://127.0.0.1:${(await standalone.wss.listen(0)).port}`;

      browser = await launchChromium({ timeout: 30000 });
      page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10000 });
    },
    { timeout: 60000 },
  );

  after(async () => {
    await browser?.close();
    await attached.wss.close();
    await standalone.wss.close();
    for (const server of deflateServers) await server.close();
    await new Promise((resolve) => http?.close(resolve));
  });
  const deflateServers: CountingEchoServer[] = [];

  const inPage = <T>(what: string, run: () => Promise<T>) => withTimeout(run(), 15000, what);

  it('echoes non-ASCII text', { timeout: 20000 }, async () => {
    const got = await inPage('text echo', () =>
      page.evaluate(([url, text]) => (window as any).interop.echo(url, text), [`${wsUrl}/text`, TEXT]),
    );
    assert.deepEqual(got, { type: 'string', value: TEXT });
  });

  it('echoes binary as an ArrayBuffer with the same bytes', { timeout: 20000 }, async () => {
    const bytes = [0, 1, 2, 127, 128, 254, 255];
    const got = await inPage('binary echo', () =>
      page.evaluate(([url, data]) => (window as any).interop.echo(url, data), [`${wsUrl}/binary`, bytes] as const),
    );
    assert.deepEqual(got, { type: '[object ArrayBuffer]', bytes });
  });

  it('echoes a 1 MiB binary message intact', { timeout: 20000 }, async () => {
    const got = await inPage('1 MiB echo', () =>
      page.evaluate(([url, size]) => (window as any).interop.echoBig(url, size), [`${wsUrl}/big`, MiB] as const),
    );
    assert.deepEqual(got, { type: '[object ArrayBuffer]', length: MiB, sha256: BIG_SHA256 });
  });

  it('negotiates the subprotocol the server supports', { timeout: 20000 }, async () => {
    const got = await inPage('subprotocol', () =>
      page.evaluate(([url, offered]) => (window as any).interop.protocol(url, offered), [
        `${wsUrl}/protocol`,
        ['chat.v2', 'chat.v1'],
      ] as const),
    );
    assert.equal(got, 'chat.v1');
  });

  it('a close started by the browser (4001, bye) reaches our server', { timeout: 20000 }, async () => {
    const serverSaw = once(attached.closes, '/client-close');
    const got = await inPage('client close', () =>
      page.evaluate(([url, code, reason]) => (window as any).interop.clientClose(url, code, reason), [
        `${wsUrl}/client-close`,
        4001,
        'bye',
      ] as const),
    );
    // §5.5.1: our server echoes the code; the browser's handshake completed.
    assert.equal(got.code, 4001);
    assert.equal(got.wasClean, true);
    assert.deepEqual((await withTimeout(serverSaw, 5000, 'server close event'))[0], {
      code: 4001,
      reason: 'bye',
      wasClean: true,
    });
  });

  it('a close started by our server (4002, srv) reaches the browser cleanly', { timeout: 20000 }, async () => {
    const serverSaw = once(attached.closes, '/server-close');
    const got = await inPage('server close', () =>
      page.evaluate((url) => (window as any).interop.serverClose(url), `${wsUrl}/server-close`),
    );
    assert.deepEqual(got, { opened: true, code: 4002, reason: 'srv', wasClean: true });
    assert.equal((await withTimeout(serverSaw, 5000, 'server close event'))[0].wasClean, true);
  });

  it('a standalone listen() port: text echo and subprotocol', { timeout: 20000 }, async () => {
    const text = await inPage('standalone echo', () =>
      page.evaluate(([url, t]) => (window as any).interop.echo(url, t), [`${standaloneUrl}/text`, TEXT]),
    );
    assert.deepEqual(text, { type: 'string', value: TEXT });
    const protocol = await inPage('standalone subprotocol', () =>
      page.evaluate(([url, offered]) => (window as any).interop.protocol(url, offered), [
        `${standaloneUrl}/protocol`,
        ['chat.v2', 'chat.v1'],
      ] as const),
    );
    assert.equal(protocol, 'chat.v1');
  });

  // --- permessage-deflate (RFC 7692): Chromium always offers it and compresses every message ---

  /** Bytes that crossed the server's socket between two counter snapshots. */
  const delta = (from: { read: number; written: number }, to: { read: number; written: number }) => ({
    read: to.read - from.read,
    written: to.written - from.written,
  });

  /** Runs the page's deflate() against a fresh counting echo server; checks the echoes on both ends. */
  async function deflateExchange(
    options: ConstructorParameters<typeof WebSocketServer>[0],
    big: string,
    messages: string[],
  ) {
    const server = await countingEchoServer(options!);
    deflateServers.push(server);
    const connection = server.nextConnection();
    const got = await inPage('deflate exchange', () =>
      page.evaluate(([url, b, m]) => (window as any).interop.deflate(url, b, m), [
        `ws://127.0.0.1:${server.port}/deflate`,
        big,
        messages,
      ] as const),
    );
    const record = await withTimeout(connection, 1000, 'server connection');
    const closed = await withTimeout(record.closed, 5000, 'server close event');
    assert.equal(server.connections.length, 1, 'one TCP connection');

    // The browser got everything back, in order, and closed cleanly.
    assert.deepEqual(got.big, { type: 'string', length: big.length, equal: true });
    assert.deepEqual([got.count, got.firstMismatch], [messages.length, -1]);
    assert.deepEqual(got.close, { code: 1000, reason: '', wasClean: true });
    assert.deepEqual([closed.code, closed.wasClean], [1000, true]);
    // Our server inflated exactly what Chromium compressed.
    const m = record.messages;
    assert.equal(m.length, 1 + messages.length);
    assert.ok(!m[0].isBinary && m[0].data.toString() === big, 'the big string as the server received it');
    for (let i = 0; i < messages.length; i++)
      assert.equal(m[1 + i].data.toString(), messages[i], `message ${i} as the server received it`);
    // Chromium's ws.extensions is the header our server sent.
    assert.ok(got.extensions.includes('permessage-deflate'), `page saw ${JSON.stringify(got.extensions)}`);
    assert.equal(got.extensions, record.ws.extensions);

    // The page sends the messages only after the big echo arrived, so snapshots isolate each phase.
    return {
      extensions: record.ws.extensions,
      bigIn: delta(record.atOpen, m[0]).read,
      bigOut: delta(m[0], m[1]).written,
      messagesIn: delta(m[0], m[messages.length]).read,
      messagesOut: delta(m[1], closed).written,
    };
  }

  it('perMessageDeflate: true: negotiated in the page, a 200 KB JSON string and 100 messages echoed in order, ' +
    'compressed both ways', {
    timeout: 30000,
  }, async (t) => {
    const big = jsonDocument(1280);
    // Above our server's 1 KiB threshold, so both directions compress them.
    const messages = Array.from({ length: 100 }, (_, i) => quote(i, 150));
    assert.ok(big.length >= 200_000, `${big.length} characters`);
    assert.ok(messages.every((m) => Buffer.byteLength(m) > 1024));

    const wire = await deflateExchange({ perMessageDeflate: true }, big, messages);
    t.diagnostic(
      `${wire.extensions}; wire bytes ${JSON.stringify(wire)} for ${Buffer.byteLength(big)} + ${utf8Bytes(messages)}`,
    );
    assert.ok(
      /server_no_context_takeover/.test(wire.extensions) && /client_no_context_takeover/.test(wire.extensions),
      wire.extensions,
    );
    assert.ok(wire.bigIn < Buffer.byteLength(big) / 10, `200 KB browser→server: ${wire.bigIn} bytes`);
    assert.ok(wire.bigOut < Buffer.byteLength(big) / 10, `200 KB server→browser: ${wire.bigOut} bytes`);
    // No context takeover: each message is compressed on its own, so the gain is modest.
    assert.ok(wire.messagesIn < utf8Bytes(messages) * 0.7, `100 messages browser→server: ${wire.messagesIn} bytes`);
    assert.ok(wire.messagesOut < utf8Bytes(messages) * 0.7, `100 messages server→browser: ${wire.messagesOut} bytes`);
  });

  it('context takeover both ways, threshold 0: 500 messages echoed in order', { timeout: 30000 }, async (t) => {
    const big = jsonDocument(64);
    const messages = Array.from({ length: 500 }, (_, i) => quote(i, 20));
    const wire = await deflateExchange(
      { perMessageDeflate: { threshold: 0, serverNoContextTakeover: false, clientNoContextTakeover: false } },
      big,
      messages,
    );
    t.diagnostic(
      `${wire.extensions}; wire bytes ${JSON.stringify(wire)} for ${Buffer.byteLength(big)} + ${utf8Bytes(messages)}`,
    );
    assert.ok(!wire.extensions.includes('no_context_takeover'), wire.extensions);
    // Compressed one by one these ~240-byte messages would cost about three quarters of
    // their size; with the window carried across messages each costs a few bytes.
    assert.ok(wire.messagesIn < utf8Bytes(messages) / 5, `500 messages browser→server: ${wire.messagesIn} bytes`);
    assert.ok(wire.messagesOut < utf8Bytes(messages) / 5, `500 messages server→browser: ${wire.messagesOut} bytes`);
  });
});
