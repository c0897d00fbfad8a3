// Interop with the `ws` library on real sockets, in both directions.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocket, WebSocketServer, type CloseEvent } from '@switchboard/websocket';
import { clientFrame, closePayload, firstCloseCode, rawClient, rawServer, readUntil } from './helpers/raw-peer.js';

const MiB16 = 16 * 1024 * 1024;
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
for (let c = 3000; c <= 4999; c++) VALID_CODES.push(c);
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535];
/** Codes a WHATWG client may send with close(). */
const CLIENT_CODES = VALID_CODES.filter((c) => c === 1000 || c >= 3000);

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

describe('our server ⇄ ws client', { timeout: 60_000 }, () => {
  let server: WebSocketServer;
  let url: string;
  const serverCloses = new Map<string, [number, string]>();

  before(async () => {
    server = new WebSocketServer({ maxMessageSize: MiB16 });
    server.on('connection', (ws, request) => {
      const closeWith = /close=(\d+)/.exec(request.target)?.[1];
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', (code, reason) => serverCloses.set(request.target, [code, reason]));
      if (closeWith) ws.close(Number(closeWith), `code ${closeWith}`);
    });
    const { port } = await server.listen(0);
    url = `ws://127.0.0.1:${port}`;
  });
  after(() => server.close());

  async function open(path = '/'): Promise<WS> {
    const ws = new WS(url + path);
    await once(ws, 'open');
    return ws;
  }
  const echo = async (ws: WS, send: () => void) => {
    const reply = once(ws, 'message');
    send();
    return (await reply) as [Buffer, boolean];
  };

  it('text, binary and fragmented messages echo', { timeout: 15_000 }, async () => {
    const ws = await open();
    const [text, isBinary] = await echo(ws, () => ws.send('héllo ✓ 🚀'));
    assert.deepEqual([text.toString(), isBinary], ['héllo ✓ 🚀', false]);
    const [bin, isBinary2] = await echo(ws, () => ws.send(Buffer.from([0, 1, 254, 255])));
    assert.deepEqual([bin, isBinary2], [Buffer.from([0, 1, 254, 255]), true]);
    const [frag] = await echo(ws, () => {
      ws.send('frag', { fin: false });
      ws.send('men', { fin: false });
      ws.send('ted', { fin: true });
    });
    assert.equal(frag.toString(), 'fragmented');
    ws.close();
  });

  it('a 16 MiB binary message echoes intact', { timeout: 15_000 }, async () => {
    const ws = await open();
    const big = Buffer.alloc(MiB16);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const [got] = await echo(ws, () => ws.send(big));
    assert.equal(got.length, MiB16);
    assert.ok(got.equals(big));
    ws.close();
  });

  it('ping/pong both ways', { timeout: 15_000 }, async () => {
    const ws = await open();
    const pong = once(ws, 'pong');
    ws.ping('from ws');
    assert.equal(String((await pong)[0]), 'from ws');
    const [peer] = [...server.clients].filter((c) => c.readyState === 1).slice(-1);
    const pong2 = once(peer, 'pong');
    peer.ping('from us');
    assert.equal(String((await pong2)[0]), 'from us');
    ws.close();
  });

  it('every valid close code sent by ws reaches our server', { timeout: 15_000 }, async () => {
    await inBatches(CLIENT_CODES, 100, async (code) => {
      const ws = await open(`/client-closes/${code}`);
      ws.close(code, `c${code}`);
      await once(ws, 'close');
    });
    for (const code of CLIENT_CODES) {
      for (let i = 0; i < 50 && !serverCloses.has(`/client-closes/${code}`); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(serverCloses.get(`/client-closes/${code}`), [code, `c${code}`]);
    }
  });

  it('every valid close code sent by our server reaches ws', { timeout: 15_000 }, async () => {
    await inBatches(VALID_CODES, 100, async (code) => {
      const ws = new WS(`${url}/?close=${code}`);
      const [got, reason] = (await once(ws, 'close')) as [number, Buffer];
      assert.deepEqual([got, reason.toString()], [code, `code ${code}`]);
    });
  });

  it('invalid close codes from a peer are answered with 1002', { timeout: 15_000 }, async () => {
    const port = Number(new URL(url).port);
    for (const code of INVALID_CODES) {
      const socket = await rawClient(port);
      socket.write(clientFrame(0x88, closePayload(code)));
      const reply = await readUntil(socket, (b) => firstCloseCode(b) !== undefined);
      assert.equal(firstCloseCode(reply), 1002, `code ${code}`);
      socket.destroy();
    }
  });
});

describe('our client ⇄ ws server', { timeout: 60_000 }, () => {
  let wss: WSServer;
  let url: string;
  const closes = new Map<string, number>();

  before(async () => {
    wss = new WSServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws, req) => {
      const path = req.url ?? '/';
      ws.on('close', (code) => closes.set(path, code));
      const closeWith = /close=(\d+)/.exec(path)?.[1];
      if (closeWith) return ws.close(Number(closeWith), `code ${closeWith}`);
      if (path === '/fragments') {
        ws.send('frag', { fin: false });
        ws.send('men', { fin: false });
        return ws.send('ted', { fin: true });
      }
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  after(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  async function open(path = '/'): Promise<WebSocket> {
    const ws = new WebSocket(url + path);
    ws.binaryType = 'arraybuffer';
    await once(ws, 'open');
    return ws;
  }
  const next = (ws: WebSocket) => once(ws, 'message').then(([e]) => (e as MessageEvent).data);

  it('text, binary and fragmented messages', { timeout: 15_000 }, async () => {
    const ws = await open();
    ws.send('héllo ✓ 🚀');
    assert.equal(await next(ws), 'héllo ✓ 🚀');
    ws.send(new Uint8Array([9, 8, 7]));
    assert.deepEqual(new Uint8Array(await next(ws)), new Uint8Array([9, 8, 7]));
    ws.close();
    const frag = await open('/fragments');
    assert.equal(await next(frag), 'fragmented');
    frag.close();
  });

  it('a 16 MiB message round-trips', { timeout: 15_000 }, async () => {
    const ws = await open();
    const big = new Uint8Array(MiB16).map((_, i) => (i * 13) & 0xff);
    ws.send(big);
    const got = new Uint8Array(await next(ws));
    assert.equal(got.length, MiB16);
    assert.ok(Buffer.from(got).equals(Buffer.from(big)));
    ws.close();
  });

  it('ping/pong both ways', { timeout: 15_000 }, async () => {
    const ws = await open('/ping');
    const [peer] = [...wss.clients].slice(-1);
    const pong = once(peer, 'pong');
    peer.ping('from ws');
    assert.equal(String((await pong)[0]), 'from ws');
    const ours = once(ws, 'pong');
    ws.ping('from us');
    assert.equal(Buffer.from(((await ours)[0] as MessageEvent).data).toString(), 'from us');
    ws.close();
  });

  it('every valid close code sent by ws reaches our client', { timeout: 15_000 }, async () => {
    await inBatches(VALID_CODES, 100, async (code) => {
      const ws = new WebSocket(`${url}/?close=${code}`);
      const [event] = (await once(ws, 'close')) as [CloseEvent];
      assert.deepEqual([event.code, event.reason, event.wasClean], [code, `code ${code}`, true]);
    });
  });

  it('every code our client may send reaches ws', { timeout: 15_000 }, async () => {
    await inBatches(CLIENT_CODES, 100, async (code) => {
      const ws = await open(`/client/${code}`);
      ws.close(code);
      const [event] = (await once(ws, 'close')) as [CloseEvent];
      assert.equal(event.code, code);
    });
    for (const code of CLIENT_CODES) {
      for (let i = 0; i < 50 && !closes.has(`/client/${code}`); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(closes.get(`/client/${code}`), code);
    }
  });

  it('an invalid close code from a server fails the connection with 1002', { timeout: 15_000 }, async () => {
    for (const code of INVALID_CODES) {
      let answer: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
      const { server, port } = await rawServer((socket) => {
        answer = readUntil(socket, (b) => b.length >= 8);
        socket.write(Buffer.concat([Buffer.from([0x88, 0x02]), closePayload(code)]));
      });
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      const [event] = (await once(ws, 'close')) as [CloseEvent];
      assert.deepEqual([event.code, event.wasClean], [1006, false], `code ${code}`);
      const bytes = await answer;
      // Our masked close frame: 88 82|… mask(4) then the masked code.
      const code1002 = ((bytes[6] ^ bytes[2]) << 8) | (bytes[7] ^ bytes[3]);
      assert.equal(code1002, 1002, `code ${code}`);
      server.close();
    }
  });
});
