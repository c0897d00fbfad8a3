// Backpressure over in-memory duplexes (no kernel, so deterministic): reading pauses
// above the high-water mark and always resumes once the backlog is taken, whether the
// transport takes a write at once, later, or keeps a rest under its own buffer mark,
// none of which is guaranteed to bring a 'drain' (issue 17).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Duplex } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import {
  type ServerWebSocket,
  SocketShell,
  WebSocket,
  WebSocketServer,
  createMaskSource,
  type CloseEvent,
  type ShellListener,
  type WebSocketOptions,
} from '../src/index.js';
import { duplexPair } from './duplex-pair.js';

const MiB = 1024 * 1024;

/** A server on `pair[0]` and a client on `pair[1]`. */
function connect(
  options: ConstructorParameters<typeof WebSocketServer>[0],
  pair: [Duplex, Duplex] = duplexPair(),
  clientOptions: WebSocketOptions = {},
) {
  const server = new WebSocketServer(options);
  const peer = once(server, 'connection').then(([ws]) => ws as ServerWebSocket);
  server.handleDuplex(pair[0]);
  const client = new WebSocket('ws://in-memory.test/', [], {
    createConnection: () => pair[1],
    perMessageDeflate: false,
    ...clientOptions,
  });
  return { server, client, peer, open: once(client, 'open') };
}

/**
 * Fails with `what` if `promise` takes longer than a healthy exchange could (in-memory streams keep no timer alive).
 */
function within<T>(promise: Promise<T>, what: () => string, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout;
  const stalled = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`stalled: ${what()}`)), ms)),
  );
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

/**
 * A duplex pair whose first side, after `hold()`, passes its writes to the peer at
 * once but reports them done only on `release()`: a transport that keeps what it
 * was given, like a full kernel buffer. Its writable high-water mark is Node's
 * default (16 KiB).
 */
function holdingPair(): { pair: [Duplex, Duplex]; hold(): void; release(): void } {
  const [a, b] = duplexPair();
  let held: (() => void)[] | undefined;
  const holding = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      b.push(Buffer.from(chunk));
      if (held) held.push(callback);
      else callback();
    },
    final(callback) {
      b.push(null);
      callback();
    },
  });
  a.on('end', () => holding.push(null));
  // What b writes goes to a; relay it to the holding side's readable.
  a.on('data', (chunk: Buffer) => holding.push(chunk));
  return {
    pair: [holding, b],
    hold: () => (held = []),
    release: () => {
      const callbacks = held ?? [];
      held = undefined;
      for (const callback of callbacks) callback();
    },
  };
}

describe('backpressure: reading always resumes', () => {
  it('a client that echoes 2 MiB from onmessage, into a transport that takes it at once, reads the close', async () => {
    const { client, peer } = connect({});
    const ws = await peer;
    const sent = Buffer.alloc(2 * MiB, 'a').toString();
    ws.on('message', (data) => ws.close(data.toString() === sent ? 1000 : 4000, 'done'));
    client.onmessage = (event) => client.send(event.data as string);
    ws.send(sent);
    const [event] = (await within(once(client, 'close'), () => `client readyState ${client.readyState}`)) as [
      CloseEvent,
    ];
    assert.deepEqual([event.code, event.reason, event.wasClean], [1000, 'done', true]);
  });

  it(
    'a server that echoes 2 MiB with broadcast(), ' + 'into a transport that takes it at once, reads the close',
    async () => {
      const { server, client, peer, open } = connect({});
      const ws = await peer;
      ws.on('message', (data, isBinary) => server.broadcast(data, { binary: isBinary, to: [ws] }));
      await open;
      client.onmessage = () => client.close(1000, 'got it');
      client.send(Buffer.alloc(2 * MiB, 'b').toString());
      const [code, reason, wasClean] = await within(once(ws, 'close'), () => `server readyState ${ws.readyState}`);
      assert.deepEqual([code, reason, wasClean], [1000, 'got it', true]);
    },
  );

  it("a backlog under the transport's own buffer mark resumes reading once taken, without any drain", async () => {
    const { pair, hold, release } = holdingPair();
    const { client, peer, open } = connect({ highWaterMark: 4096, lowWaterMark: 1024 }, pair);
    const ws = await peer;
    const received: string[] = [];
    ws.on('message', (data) => {
      received.push(data.toString().slice(0, 5));
      ws.send(data); // 8 KiB back: over our 4 KiB mark, under the transport's 16 KiB
    });
    await open;
    hold();
    client.send('first' + 'x'.repeat(8192));
    await once(client, 'message');
    client.send('after');
    for (let i = 0; i < 20; i++) await tick();
    assert.deepEqual(received, ['first'], 'reading is paused while the transport holds the echo');
    assert.equal(ws.bufferedAmount, 8192 + 5 + 4);
    release();
    const [data] = await within(once(ws, 'message'), () => `server bufferedAmount ${ws.bufferedAmount}`);
    assert.equal(data.toString(), 'after');
    await tick(); // the echo of 'after' leaves with this turn's flush
    assert.equal(ws.bufferedAmount, 0);
    client.close();
  });

  it("a closed client whose backlog the transport holds still reads, and sees the server's FIN", async () => {
    const {
      pair: [held, other],
      hold,
      release,
    } = holdingPair();
    const { client, peer, open } = connect({}, [other, held], { highWaterMark: 4096, lowWaterMark: 1024 });
    const ws = await peer;
    await open;
    hold();
    client.onmessage = (event) => client.send(event.data as string); // 8 KiB back: over the client's mark
    ws.send('x'.repeat(8192));
    ws.close(1000, 'bye'); // in the same chunk: the client answers it and waits for the server to end TCP
    await within(once(held, 'end'), () => `client socket paused ${held.isPaused()}`);
    assert.equal(client.readyState, WebSocket.CLOSING);
    assert.ok(client.bufferedAmount > 8192, 'the transport still holds the echo');
    release();
    await within(once(client, 'close'), () => `client readyState ${client.readyState}`);
  });
});

describe('backpressure: drain', () => {
  for (const how of ['send', 'broadcast'] as const) {
    it(
      `ServerWebSocket emits 'drain' after a ${how}() that filled the transport, even when the transport took it at ` +
        `once`,
      async () => {
        const { server, client, peer, open } = connect({});
        const ws = await peer;
        await open;
        const drained = once(ws, 'drain');
        if (how === 'send') ws.send(Buffer.alloc(MiB));
        else server.broadcast(Buffer.alloc(MiB), { to: [ws] });
        assert.equal(ws.bufferedAmount, MiB + 10);
        await within(drained, () => `bufferedAmount ${ws.bufferedAmount}`);
        assert.equal(ws.bufferedAmount, 0);
        client.close();
      },
    );
  }

  it('requestDrain() reports once the backlog is taken, and on the next tick when there is none', async () => {
    const { pair, hold, release } = holdingPair();
    const events: string[] = [];
    const listener: ShellListener = {
      onMessage() {},
      onPing() {},
      onPong() {},
      onDrain: () => events.push('drain'),
      onError() {},
      onClosing() {},
      onClosed() {},
    };
    const shell = new SocketShell(pair[0], { role: 'client', maskSource: createMaskSource() }, listener);
    shell.start(new Uint8Array(0));
    shell.requestDrain();
    assert.deepEqual(events, []);
    await tick();
    assert.deepEqual(events, ['drain']);

    hold();
    shell.protocol.send(new Uint8Array(100)); // far under every mark
    shell.requestDrain();
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(events, ['drain'], 'held by the transport');
    assert.equal(shell.bufferedAmount, 106);
    release();
    await tick();
    assert.deepEqual(events, ['drain', 'drain']);
    assert.equal(shell.bufferedAmount, 0);
    shell.terminate();
  });
});
