// permessage-deflate interop with `ws` on real sockets: each parameter combination, both directions.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import WS, { WebSocketServer as WSServer, type PerMessageDeflateOptions as WSDeflate } from 'ws';
import type { PerMessageDeflateOptions } from '@switchboard/protocol';
import { WebSocket, WebSocketServer } from '@switchboard/websocket';

const TAKEOVER = { serverNoContextTakeover: false, clientNoContextTakeover: false };
/** [name, our options, ws options]: the same intent on both ends. */
const COMBOS: [string, PerMessageDeflateOptions, WSDeflate][] = [
  ['context takeover both ways', TAKEOVER, {}],
  ['server_no_context_takeover', { ...TAKEOVER, serverNoContextTakeover: true }, { serverNoContextTakeover: true }],
  ['client_no_context_takeover', { ...TAKEOVER, clientNoContextTakeover: true }, { clientNoContextTakeover: true }],
  [
    'no context takeover both ways (our server default)',
    {},
    { serverNoContextTakeover: true, clientNoContextTakeover: true },
  ],
  ['server_max_window_bits=8', { ...TAKEOVER, serverMaxWindowBits: 8 }, { serverMaxWindowBits: 8 }],
  ['client_max_window_bits=8', { ...TAKEOVER, clientMaxWindowBits: 8 }, { clientMaxWindowBits: 8 }],
  [
    'server_max_window_bits=10, client_max_window_bits=12',
    { ...TAKEOVER, serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
    { serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
  ],
  [
    'all four',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
  ],
];

const json = (i: number) =>
  JSON.stringify({
    seq: i,
    type: 'price',
    symbol: 'ACME',
    bid: 100 + (i % 7),
    ask: 101 + (i % 5),
    book: Array.from({ length: 20 }, (_, k) => [k, k * 2]),
  });
const big = Buffer.alloc(1024 * 1024).map((_, i) => (i % 251) ^ (i >> 12));

describe('permessage-deflate: our server ⇄ ws client', { timeout: 120_000 }, () => {
  for (const [name, ours, theirs] of COMBOS) {
    it(name, { timeout: 20_000 }, async () => {
      const server = new WebSocketServer({ perMessageDeflate: { ...ours, threshold: 0 } });
      let negotiated = '';
      server.on('connection', (ws) => {
        negotiated = ws.extensions;
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
      const { port } = await server.listen(0);
      const client = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { ...theirs, threshold: 0 } });
      const received: Buffer[] = [];
      client.on('message', (d: Buffer) => received.push(d));
      await once(client, 'open');
      assert.equal(client.extensions, 'permessage-deflate'); // ws lists names only
      // What ws asked for is in our answer.
      if (theirs.serverNoContextTakeover) assert.match(negotiated, /server_no_context_takeover/);
      if (theirs.clientNoContextTakeover) assert.match(negotiated, /client_no_context_takeover/);
      if (theirs.serverMaxWindowBits)
        assert.match(negotiated, new RegExp(`server_max_window_bits=${theirs.serverMaxWindowBits}`));
      const count = name.startsWith('context takeover') ? 1000 : 100;
      for (let i = 0; i < count; i++) client.send(json(i));
      client.send('frag', { fin: false });
      client.send('ment', { fin: false });
      client.send('ed', { fin: true });
      client.send(big);
      while (received.length < count + 2) await once(client, 'message');
      for (let i = 0; i < count; i++) assert.equal(received[i].toString(), json(i));
      assert.equal(received[count].toString(), 'fragmented');
      assert.ok(received[count + 1].equals(big));
      client.close();
      await once(client, 'close');
      await server.close();
    });
  }
});

describe('permessage-deflate: our client ⇄ ws server', { timeout: 120_000 }, () => {
  for (const [name, ours, theirs] of COMBOS) {
    it(name, { timeout: 20_000 }, async () => {
      const wss = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { ...theirs, threshold: 0 } });
      await once(wss, 'listening');
      wss.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        // A fragmented, compressed message from ws.
        ws.send('frag', { fin: false });
        ws.send('ment', { fin: false });
        ws.send('ed', { fin: true });
      });
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, [], {
        perMessageDeflate: {
          ...ours,
          threshold: 0,
          serverNoContextTakeover: theirs.serverNoContextTakeover ?? false,
          clientNoContextTakeover: theirs.clientNoContextTakeover ?? false,
        },
      });
      client.binaryType = 'arraybuffer';
      const received: (string | ArrayBuffer)[] = [];
      client.onmessage = (e) => received.push(e.data);
      await once(client, 'open');
      assert.match(client.extensions, /^permessage-deflate/);
      const count = name.startsWith('context takeover') ? 1000 : 100;
      for (let i = 0; i < count; i++) client.send(json(i));
      client.send(big);
      while (received.length < count + 2) await once(client, 'message');
      assert.equal(received[0], 'fragmented');
      for (let i = 0; i < count; i++) assert.equal(received[i + 1], json(i));
      assert.ok(Buffer.from(received[count + 1] as ArrayBuffer).equals(big));
      client.close();
      await once(client, 'close');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
  }
});
