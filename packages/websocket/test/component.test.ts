// Server and client shells over an in-memory duplex pair: no ports, no kernel, the whole stack.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import { type ServerWebSocket, WebSocket, WebSocketServer, sha1, type CloseEvent } from '../src/index.js';
import { duplexPair } from './duplex-pair.js';

interface Pair {
  server: WebSocketServer;
  serverSide: Duplex;
  clientSide: Duplex;
  client: WebSocket;
  peer: Promise<ServerWebSocket>;
  /** Captured at once: 'open' may fire before an awaiting test resumes. */
  open: Promise<unknown>;
}

function connect(options: ConstructorParameters<typeof WebSocketServer>[0] = {}, protocols: string[] = []): Pair {
  const server = new WebSocketServer(options);
  const [serverSide, clientSide] = duplexPair();
  const peer = once(server, 'connection').then(([ws]) => ws as ServerWebSocket);
  server.handleDuplex(serverSide);
  const client = new WebSocket('ws://in-memory.test/path', protocols, { createConnection: () => clientSide });
  return { server, serverSide, clientSide, client, peer, open: once(client, 'open') };
}

const closed = (ws: WebSocket) => once(ws, 'close').then(([e]) => e as CloseEvent);
const nextMessage = (ws: WebSocket) => once(ws, 'message').then(([e]) => (e as MessageEvent).data);

describe('component: shells over an in-memory duplex', () => {
  it('echoes text, binary and fragmented messages', async () => {
    const { client, peer, open } = connect();
    const ws = await peer;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary, fragmentSize: 3 }));
    await open;
    client.binaryType = 'arraybuffer';
    client.send('héllo wörld');
    assert.equal(await nextMessage(client), 'héllo wörld');
    client.send(new Uint8Array([1, 2, 3, 4, 5]));
    assert.deepEqual(new Uint8Array((await nextMessage(client)) as ArrayBuffer), new Uint8Array([1, 2, 3, 4, 5]));
    client.close();
    await closed(client);
  });

  it('binaryType defaults to blob', async () => {
    const { client, peer } = connect();
    (await peer).send(Buffer.from('blob!'));
    const data = await nextMessage(client);
    assert.ok(data instanceof Blob);
    assert.equal(await data.text(), 'blob!');
    client.close();
  });

  it('a client close completes the handshake on both sides; the server ends the transport first', async () => {
    const { client, peer, serverSide, clientSide, open } = connect();
    const ws = await peer;
    await open;
    const order: string[] = [];
    serverSide.on('finish', () => order.push('server FIN'));
    clientSide.on('finish', () => order.push('client FIN'));
    const serverClose = once(ws, 'close');
    client.close(4000, 'bye');
    assert.equal(client.readyState, WebSocket.CLOSING);
    const event = await closed(client);
    assert.deepEqual([event.code, event.wasClean], [4000, true]);
    const [code, reason, wasClean] = await serverClose;
    assert.deepEqual([code, reason, wasClean], [4000, 'bye', true]);
    assert.equal(order[0], 'server FIN');
    assert.equal(client.readyState, WebSocket.CLOSED);
  });

  it('a server close reaches the client with its code and reason', async () => {
    const { client, peer, open } = connect();
    const ws = await peer;
    await open;
    ws.close(4002, 'server says bye');
    const event = await closed(client);
    assert.deepEqual([event.code, event.reason, event.wasClean], [4002, 'server says bye', true]);
  });

  it('pings are answered automatically, and Node clients can ping', async () => {
    const { client, peer, open } = connect();
    const ws = await peer;
    await open;
    const pong = once(ws, 'pong');
    ws.ping('are you there');
    assert.equal(String((await pong)[0]), 'are you there');
    const clientPong = once(client, 'pong');
    client.ping('and you?');
    assert.equal(Buffer.from(((await clientPong)[0] as MessageEvent).data).toString(), 'and you?');
    client.close();
  });

  it('negotiates a subprotocol', async () => {
    const { client, peer, open } = connect({ protocols: ['b.v1', 'a.v1'] }, ['a.v1', 'b.v1']);
    const ws = await peer;
    await open;
    assert.equal(client.protocol, 'b.v1');
    assert.equal(ws.protocol, 'b.v1');
    client.close();
  });

  it('a refused handshake fails the client with error then close 1006', async () => {
    const { client, server } = connect({ checkOrigin: () => false });
    const rejected = once(server, 'rejected');
    const events: string[] = [];
    client.onerror = () => events.push('error');
    const event = await closed(client);
    events.push('close');
    assert.deepEqual(events, ['error', 'close']);
    assert.equal(event.code, 1006);
    assert.equal(((await rejected)[0] as { status: number }).status, 403);
  });

  it('a handshake that never completes is closed after handshakeTimeout with 408', async () => {
    const server = new WebSocketServer({ handshakeTimeout: 100 });
    const [serverSide, clientSide] = duplexPair();
    server.handleDuplex(serverSide);
    clientSide.write('GET / HTTP/1.1\r\nHost: x\r\n'); // and then nothing
    const chunks: Buffer[] = [];
    clientSide.on('data', (c) => chunks.push(c));
    const started = Date.now();
    await once(clientSide, 'end');
    assert.ok(Date.now() - started >= 90);
    assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 408 /);
  });

  it('a transport lost without a close frame reports 1006 on both sides', async () => {
    const { client, peer, clientSide, open } = connect();
    const ws = await peer;
    await open;
    const serverClose = once(ws, 'close');
    clientSide.destroy();
    const event = await closed(client);
    assert.deepEqual([event.code, event.wasClean], [1006, false]);
    assert.deepEqual((await serverClose).slice(0, 1), [1006]);
  });
});

describe('node-crypto', () => {
  it('sha1 is SHA-1 for any input length', () => {
    for (let length = 0; length < 200; length++) {
      const data = randomBytes(length);
      assert.deepEqual(Buffer.from(sha1(data)), createHash('sha1').update(data).digest());
    }
  });
});

describe('component: broadcast', () => {
  it('frames once and delivers the same message to every open connection, compressed or not', async () => {
    const server = new WebSocketServer({ perMessageDeflate: true });
    const clients = [0, 1, 2].map((i) => {
      const [serverSide, clientSide] = duplexPair();
      server.handleDuplex(serverSide);
      return new WebSocket('ws://in-memory.test/', [], {
        createConnection: () => clientSide,
        perMessageDeflate: i !== 1,
      });
    });
    await Promise.all(clients.map((c) => once(c, 'open')));
    assert.equal(clients[0].extensions.startsWith('permessage-deflate'), true);
    const received = clients.map((c) => nextMessage(c));
    assert.equal(server.broadcast('to everyone'), 3);
    assert.deepEqual(await Promise.all(received), ['to everyone', 'to everyone', 'to everyone']);
    clients.forEach((c) => c.close());
  });
});

describe('component: WHATWG WebSocket API', () => {
  it('rejects bad URLs and subprotocol lists with SyntaxError', () => {
    for (const url of ['not a url', 'ftp://x/', 'ws://x/#frag']) {
      assert.throws(() => new WebSocket(url), { name: 'SyntaxError' });
    }
    assert.throws(() => new WebSocket('ws://x/', ['a', 'a']), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://x/', ['bad token']), { name: 'SyntaxError' });
  });

  it('maps http(s) URLs to ws(s) as the spec says', async () => {
    const { client } = connect();
    const other = new WebSocket('http://in-memory.test/', [], { createConnection: () => duplexPair()[0] });
    assert.equal(other.url, 'ws://in-memory.test/');
    other.close();
    client.close();
  });

  it('send while CONNECTING throws InvalidStateError; after close it is discarded and counted', async () => {
    const { client, peer, open } = connect();
    assert.equal(client.readyState, WebSocket.CONNECTING);
    assert.throws(() => client.send('early'), { name: 'InvalidStateError' });
    await peer;
    await open;
    client.close();
    client.send('late');
    assert.equal(client.bufferedAmount >= 4, true);
  });

  it('close() validates its code and reason', async () => {
    const { client } = connect();
    assert.throws(() => client.close(1001), { name: 'InvalidAccessError' });
    assert.throws(() => client.close(2999), { name: 'InvalidAccessError' });
    assert.throws(() => client.close(5000), { name: 'InvalidAccessError' });
    assert.throws(() => client.close(1000, 'x'.repeat(124)), { name: 'SyntaxError' });
    client.close(1000, 'x'.repeat(123));
    const event = await closed(client);
    assert.equal(event.code, 1006, 'closing while CONNECTING fails the connection');
  });

  it('on<event> handlers and listeners fire in registration order', async () => {
    const { client, peer, open } = connect();
    const calls: string[] = [];
    client.addEventListener('open', () => calls.push('listener 1'));
    client.onopen = () => calls.push('handler (replaced)');
    client.addEventListener('open', () => calls.push('listener 2'));
    client.onopen = () => calls.push('handler');
    await peer;
    await open;
    assert.deepEqual(calls, ['listener 1', 'handler', 'listener 2']);
    client.close();
  });

  it('Blob sends keep their order with later sends', async () => {
    const { client, peer, open } = connect();
    const ws = await peer;
    const got: string[] = [];
    ws.on('message', (d) => got.push(d.toString()));
    await open;
    client.send(new Blob(['one']));
    client.send('two');
    client.send(new Blob(['three']));
    client.send('four');
    while (got.length < 4) await once(ws, 'message');
    assert.deepEqual(got, ['one', 'two', 'three', 'four']);
    client.close();
  });
});
