// Regression for the read stall (issue 17): a peer that answers a large message from its
// message handler pushes its send backlog over the high-water mark, so the shell pauses
// reading; the transport then takes the write without a 'drain' (at once, or with a rest
// under its own 16 KiB buffer mark), and reading must still resume, or the peer's next
// frame (here its close) is never read. Sizes straddle the water marks, the default ones
// (1 MiB / 256 KiB) and small ones (4 KiB / 1 KiB); both roles, over TCP and TLS, against `ws`.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocket, WebSocketServer, type CloseEvent, type ServerWebSocket } from '@switchboard/websocket';
import { selfSignedCert } from './helpers/tls-cert.js';

const MiB = 1024 * 1024;
const PROFILES = [
  { name: 'default water marks', marks: {}, sizes: [800_000, MiB, 2 * MiB, 3 * MiB, 4 * MiB] },
  {
    name: 'water marks 4 KiB / 1 KiB',
    marks: { highWaterMark: 4096, lowWaterMark: 1024 },
    sizes: [3000, 4096, 8192, 12_000, 64 * 1024],
  },
];
const TRANSPORTS = ['tcp', 'tls'] as const;
/** Far longer than a healthy exchange on loopback (a few ms); a stall never ends on its own. */
const STALL_MS = 4000;

const { key, cert } = selfSignedCert();
const text = (size: number) => 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36)).slice(0, size);

/** Resolves with `promise`, or rejects with what `describe()` says about the stuck connection. */
function within<T>(promise: Promise<T>, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stalled for ${STALL_MS} ms: ${describe()}`)), STALL_MS);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

describe('read stall: our client echoes from onmessage, a ws server then closes', { timeout: 120_000 }, () => {
  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      let wss: WSServer;
      let port: number;
      let close: () => Promise<void>;
      before(async () => {
        if (transport === 'tcp') {
          wss = new WSServer({ port: 0, host: '127.0.0.1' });
          await once(wss, 'listening');
          port = (wss.address() as AddressInfo).port;
          close = () => new Promise((resolve) => wss.close(() => resolve()));
        } else {
          const https = createHttpsServer({ key, cert });
          wss = new WSServer({ server: https });
          https.listen(0, '127.0.0.1');
          await once(https, 'listening');
          port = (https.address() as AddressInfo).port;
          close = () => new Promise((resolve) => wss.close(() => https.close(() => resolve())));
        }
        // Send `size` bytes of text; close with 1000 once the same text comes back.
        wss.on('connection', (socket, request) => {
          const size = Number(new URL(request.url!, 'http://x').searchParams.get('size'));
          const sent = text(size);
          socket.on('message', (data, isBinary) =>
            socket.close(!isBinary && data.toString() === sent ? 1000 : 4000, 'done'),
          );
          socket.send(sent);
        });
      });
      after(() => {
        for (const socket of wss.clients) socket.terminate();
        return close();
      });

      for (const { name, marks, sizes } of PROFILES)
        for (const size of sizes) {
          it(`${name}, ${size} bytes: the client reads the close`, async () => {
            const scheme = transport === 'tls' ? 'wss' : 'ws';
            const client = new WebSocket(`${scheme}://127.0.0.1:${port}/?size=${size}`, [], {
              tls: { ca: cert },
              perMessageDeflate: false,
              ...marks,
            });
            client.onmessage = (event) => client.send(event.data as string);
            const closed = once(client, 'close').then(([e]) => e as CloseEvent);
            try {
              const event = await within(
                closed,
                () => `client readyState ${client.readyState}, bufferedAmount ${client.bufferedAmount}`,
              );
              assert.deepEqual([event.code, event.reason, event.wasClean], [1000, 'done', true]);
            } finally {
              if (client.readyState !== WebSocket.CLOSED) client.close();
            }
          });
        }
    });
  }
});

describe('read stall: our server echoes from on("message"), a ws client then closes', { timeout: 120_000 }, () => {
  for (const transport of TRANSPORTS)
    for (const { name, marks, sizes } of PROFILES) {
      // `send` frames per connection; `broadcast` writes one prepared frame (the real-time server's path).
      for (const echo of ['send', 'broadcast'] as const) {
        describe(`${transport}, ${name}, echo with ${echo}()`, () => {
          let server: WebSocketServer;
          let port: number;
          let close: () => Promise<void>;
          const connections: ServerWebSocket[] = [];
          before(async () => {
            server = new WebSocketServer({ maxMessageSize: 16 * MiB, ...marks });
            server.on('connection', (ws) => {
              connections.push(ws);
              ws.on('message', (data, isBinary) => {
                if (echo === 'send') ws.send(data, { binary: isBinary });
                else server.broadcast(data, { binary: isBinary, to: [ws] });
              });
            });
            if (transport === 'tcp') {
              port = (await server.listen(0)).port;
              close = () => server.close();
            } else {
              const tls = createTlsServer({ key, cert }, (socket) => server.handleDuplex(socket));
              tls.listen(0, '127.0.0.1');
              await once(tls, 'listening');
              port = (tls.address() as AddressInfo).port;
              close = () => server.close().then(() => new Promise((resolve) => tls.close(() => resolve())));
            }
          });
          after(() => {
            for (const ws of connections) ws.terminate();
            return close();
          });

          for (const size of sizes) {
            it(`${size} bytes: the server reads the close`, async () => {
              const scheme = transport === 'tls' ? 'wss' : 'ws';
              const client = new WS(`${scheme}://127.0.0.1:${port}/`, { ca: cert, perMessageDeflate: false });
              const sent = text(size);
              client.on('message', (data) => client.close(data.toString() === sent ? 1000 : 4000, 'done'));
              await once(client, 'open');
              const ws = connections.at(-1)!;
              const serverClosed = once(ws, 'close');
              const clientClosed = once(client, 'close');
              client.send(sent);
              try {
                const [code, reason, wasClean] = await within(
                  serverClosed,
                  () => `server readyState ${ws.readyState}, bufferedAmount ${ws.bufferedAmount}`,
                );
                assert.deepEqual([code, reason, wasClean], [1000, 'done', true]);
                const [clientCode] = await within(clientClosed, () => `ws client readyState ${client.readyState}`);
                assert.equal(clientCode, 1000);
              } finally {
                client.terminate();
              }
            });
          }
        });
      }
    }
});
