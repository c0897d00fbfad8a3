// Bad input on real sockets: each case gets its documented answer, and the server stays up for everyone else.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WS from 'ws';
import { WebSocketServer } from '@switchboard/websocket';
import {
  clientFrame,
  closePayload,
  firstCloseCode,
  rawClient,
  rawRequest,
  readUntil,
  upgradeRequest,
} from './helpers/raw-peer.js';

const HANDSHAKE_TIMEOUT = 300;
const MAX_MESSAGE = 64 * 1024;

describe('bad input', { timeout: 60_000 }, () => {
  let server: WebSocketServer;
  let port: number;
  let bystander: WS;

  before(async () => {
    server = new WebSocketServer({
      handshakeTimeout: HANDSHAKE_TIMEOUT,
      maxMessageSize: MAX_MESSAGE,
      highWaterMark: 64 * 1024,
      lowWaterMark: 16 * 1024,
    });
    server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    ({ port } = await server.listen(0));
    bystander = new WS(`ws://127.0.0.1:${port}/bystander`);
    await once(bystander, 'open');
  });

  after(async () => {
    bystander.close();
    await server.close();
  });

  /** The long-lived connection still echoes, and a new one can still be opened. */
  async function othersUnaffected(): Promise<void> {
    const reply = once(bystander, 'message');
    bystander.send('still here');
    assert.equal(String((await reply)[0]), 'still here');
    const fresh = new WS(`ws://127.0.0.1:${port}/fresh`);
    await once(fresh, 'open');
    fresh.close();
  }

  async function httpAnswer(head: string | Buffer): Promise<string> {
    const socket = await rawRequest(port, head);
    const answer = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
    socket.destroy();
    return answer.toString('latin1');
  }

  async function closeCodeFor(frames: Buffer): Promise<number | undefined> {
    const socket = await rawClient(port);
    socket.write(frames);
    const reply = await readUntil(socket, (b) => firstCloseCode(b) !== undefined);
    await once(socket, 'end');
    socket.destroy();
    return firstCloseCode(reply);
  }

  it('an oversized head → 431', async () => {
    const answer = await httpAnswer(upgradeRequest({ 'X-Pad': 'a'.repeat(20_000) }));
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.match(answer, /X-Switchboard-Error: SB_ERR_HEAD_TOO_LARGE/);
    await othersUnaffected();
  });

  it('a wrong version → 426 with the supported version', async () => {
    const answer = await httpAnswer(upgradeRequest({ 'Sec-WebSocket-Version': '8' }));
    assert.match(answer, /^HTTP\/1\.1 426 /);
    assert.match(answer, /\r\nSec-WebSocket-Version: 13\r\n/);
    await othersUnaffected();
  });

  it('a bad key → 400', async () => {
    const answer = await httpAnswer(upgradeRequest({ 'Sec-WebSocket-Key': 'not-base64-of-16-bytes' }));
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /SB_ERR_INVALID_KEY/);
    await othersUnaffected();
  });

  it('slowloris: a head that trickles in is cut off after handshakeTimeout', async () => {
    const socket = await rawRequest(port, 'GET / HTTP/1.1\r\n');
    const started = Date.now();
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 50);
    const answer = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
    await once(socket, 'end');
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    socket.destroy();
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 408 /);
    assert.ok(elapsed >= HANDSHAKE_TIMEOUT - 20 && elapsed < HANDSHAKE_TIMEOUT + 1500, `closed after ${elapsed} ms`);
    await othersUnaffected();
  });

  it('a head completed after the timeout is not upgraded', async () => {
    const socket = await rawRequest(port, 'GET / HTTP/1.1\r\n');
    await new Promise((r) => setTimeout(r, HANDSHAKE_TIMEOUT + 100));
    const rest = upgradeRequest().slice('GET / HTTP/1.1\r\n'.length);
    socket.on('error', () => {});
    socket.write(rest);
    const answer = await readUntil(socket, () => false, 500).catch((e: Error) => e.message);
    socket.destroy();
    assert.doesNotMatch(String(answer), /101 Switching/);
  });

  it('a peer that resets while being refused does not crash the server', async () => {
    // Outside the test runner this would be an uncaught 'error' that kills the process.
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      for (let i = 0; i < 20; i++) {
        const socket = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: x\r\n\r\n');
        socket.resetAndDestroy();
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.off('uncaughtException', record);
    }
    assert.deepEqual(uncaught, []);
    await othersUnaffected();
  });

  it('invalid UTF-8 → 1007', async () => {
    assert.equal(await closeCodeFor(clientFrame(0x81, Buffer.from([0x68, 0x69, 0xed, 0xa0, 0x80]))), 1007);
    await othersUnaffected();
  });

  it('an oversized message → 1009', async () => {
    const ws = new WS(`ws://127.0.0.1:${port}/big`);
    await once(ws, 'open');
    ws.send(Buffer.alloc(MAX_MESSAGE + 1));
    const [code] = await once(ws, 'close');
    assert.equal(code, 1009);
    await othersUnaffected();
  });

  it('an unmasked client frame → 1002', async () => {
    assert.equal(await closeCodeFor(clientFrame(0x81, Buffer.from('hello'), false)), 1002);
    await othersUnaffected();
  });

  it('an invalid close code → 1002', async () => {
    assert.equal(await closeCodeFor(clientFrame(0x88, closePayload(1005))), 1002);
    await othersUnaffected();
  });

  it('a peer that never reads: reading pauses at the high-water mark, memory stays bounded', async () => {
    const socket: Socket = await rawClient(port);
    socket.pause(); // never read the echoes
    const [peer] = [...server.clients].slice(-1);
    const message = clientFrame(0x82, Buffer.alloc(16 * 1024, 1));
    // ~32 MiB offered; without backpressure the server would queue it all.
    let offered = 0;
    for (let i = 0; i < 2048 && socket.write(message); i++) offered++;
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(offered < 2048, 'the server stopped reading, so our writes backed up');
    assert.ok(peer.bufferedAmount < 64 * 1024 + 32 * 1024, `bufferedAmount ${peer.bufferedAmount}`);
    socket.destroy();
    await othersUnaffected();
  });
});
