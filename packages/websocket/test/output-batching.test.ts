// Output is flushed once per event-loop turn (issue 21): what a socket is given from several promise
// continuations, timers' callbacks or broadcasts of one turn leaves in one write, in the order given;
// output of the next turn is a new write.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { WebSocketServer, type ServerWebSocket } from '../src/index.js';
import { duplexPair } from './duplex-pair.js';

/** A server connection over an in-memory pair whose server side counts its writes; the client side is read raw. */
async function accepted(
  server: WebSocketServer,
): Promise<{ ws: ServerWebSocket; writes: () => number; texts: string[] }> {
  const [serverSide, clientSide] = duplexPair();
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const peer = once(server, 'connection').then(([ws]) => ws as ServerWebSocket);
  server.handleDuplex(serverSide);
  clientSide.write(
    `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
  );
  const ws = await peer;
  await tick(); // the 101 response is out
  let count = 0;
  const write = serverSide.write.bind(serverSide) as Duplex['write'];
  serverSide.write = ((...args: Parameters<Duplex['write']>) => (count++, write(...args))) as Duplex['write'];
  const texts: string[] = [];
  let head = true;
  clientSide.on('data', (chunk: Buffer) => {
    if (head) {
      const end = chunk.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = false;
      chunk = chunk.subarray(end + 4);
    }
    // Short unmasked text frames only: FIN + opcode, a 7-bit length, the payload.
    for (let at = 0; at < chunk.length; at += 2 + chunk[at + 1])
      texts.push(chunk.subarray(at + 2, at + 2 + chunk[at + 1]).toString());
  });
  return { ws, writes: () => count, texts };
}

describe('output batching per event-loop turn', () => {
  it('sends from several promise continuations of one turn leave in one write, in order', async () => {
    const server = new WebSocketServer({});
    const { ws, writes, texts } = await accepted(server);
    await Promise.resolve()
      .then(() => ws.send('a'))
      .then(() => ws.send('b'))
      .then(() => queueMicrotask(() => ws.send('c')));
    process.nextTick(() => ws.send('d'));
    await tick();
    assert.equal(writes(), 1, 'one write for the turn');
    ws.send('e');
    await tick();
    assert.equal(writes(), 2, 'the next turn is the next write');
    await tick();
    assert.deepEqual(texts, ['a', 'b', 'c', 'd', 'e']);
  });

  it('broadcasts from separate callbacks of one turn reach each socket in one write', async () => {
    const server = new WebSocketServer({});
    const peers = [await accepted(server), await accepted(server)];
    const to = peers.map((p) => p.ws);
    // Three callbacks of one check phase, each a macrotask of its own (like three requests parsed from one read).
    for (let i = 0; i < 3; i++) setImmediate(() => server.broadcast(`m${i}`, { to }));
    await tick();
    await tick();
    for (const p of peers) {
      assert.equal(p.writes(), 1);
      assert.deepEqual(p.texts, ['m0', 'm1', 'm2']);
    }
  });
});
