// Compression in the real-time server: permessage-deflate from the `compression` option, a publication compressed
// once for all subscribers without server context takeover (the same bytes on every socket), a namespace that opts
// out, and the SDK over our WebSocket client reading compressed publications.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { Client } from '@switchboard/client';
import { PerMessageDeflate, prepareFrame, type DeflateCodec } from '@switchboard/protocol';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { WebSocket } from '@switchboard/websocket';
import { deflateRawSync, constants } from 'node:zlib';
import { until } from './helpers/wait.js';

interface Frame {
  rsv1: boolean;
  /** The whole frame as it came off the wire. */
  raw: Buffer;
  payload: Buffer;
}

/**
 * A raw WebSocket client: offers permessage-deflate without context takeover and keeps every frame it receives, as
 * bytes.
 */
async function rawPeer(
  port: number,
  deflate: boolean,
): Promise<{ frames: Frame[]; send(text: string): void; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    `GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
      `Sec-WebSocket-Protocol: switchboard.v1.json\r\n` +
      (deflate
        ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n'
        : '') +
      '\r\n',
  );
  const frames: Frame[] = [];
  let buffer = Buffer.alloc(0);
  let head = true;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (head) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const response = buffer.subarray(0, end).toString();
      assert.match(response, /^HTTP\/1.1 101/);
      if (deflate) assert.match(response, /permessage-deflate/i);
      buffer = buffer.subarray(end + 4);
      head = false;
    }
    for (;;) {
      if (buffer.length < 2) return;
      let len = buffer[1] & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = [buffer.readUInt16BE(2), 4];
      else if (len === 127) [len, at] = [Number(buffer.readBigUInt64BE(2)), 10];
      if (buffer.length < at + len) return;
      frames.push({
        rsv1: (buffer[0] & 0x40) !== 0,
        raw: buffer.subarray(0, at + len),
        payload: buffer.subarray(at, at + len),
      });
      buffer = buffer.subarray(at + len);
    }
  });
  const send = (text: string) => {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const header =
      payload.length < 126
        ? Buffer.from([0x81, 0x80 | payload.length])
        : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    socket.write(Buffer.concat([header, mask, payload.map((b, i) => b ^ mask[i % 4])]));
  };
  await until(() => !head, 'handshake');
  return { frames, send, socket };
}

const text = (f: Frame) =>
  (f.rsv1
    ? inflateRawSync(Buffer.concat([f.payload, Buffer.from([0, 0, 0xff, 0xff])]), {
        finishFlush: constants.Z_SYNC_FLUSH,
      })
    : f.payload
  ).toString();

describe('compression', () => {
  const servers: SwitchboardServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it(
    'a publication is compressed once: the same compressed frame on every socket; an opted-out namespace and a peer ' +
      'without deflate get it plain',
    async () => {
      const server = createServer({
        allowAnonymous: true,
        compression: { threshold: 256 },
        namespaces: { big: {}, raw: { compress: false } },
      });
      servers.push(server);
      const { port } = await server.listen(0);
      const peers = await Promise.all([
        rawPeer(port, true),
        rawPeer(port, true),
        rawPeer(port, true),
        rawPeer(port, false),
      ]);
      for (const p of peers) {
        p.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
        p.send(JSON.stringify({ id: 2, method: 'subscribe', params: { channel: 'big:a' } }));
        p.send(JSON.stringify({ id: 3, method: 'subscribe', params: { channel: 'raw:a' } }));
      }
      await until(() => peers.every((p) => p.frames.length >= 3), 'subscribed');
      const data = { items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] })) };
      await server.publish('big:a', data);
      await server.publish('raw:a', data);
      await until(() => peers.every((p) => p.frames.length >= 5), 'publications');
      const pubs = peers.map((p) => p.frames.slice(3, 5));
      const [big, raw] = [
        pubs.map((f) => f.find((x) => text(x).includes('"big:a"'))!),
        pubs.map((f) => f.find((x) => text(x).includes('"raw:a"'))!),
      ];
      // Deflating peers: RSV1, byte-identical frames, smaller than the message.
      assert.ok(big.slice(0, 3).every((f) => f.rsv1));
      assert.ok(
        big[1].raw.equals(big[0].raw) && big[2].raw.equals(big[0].raw),
        'the same compressed bytes on every socket',
      );
      assert.ok(!big[3].rsv1, 'a peer that did not negotiate deflate gets it plain');
      const plain = big[3].payload.length;
      assert.ok(big[0].payload.length < plain / 3, `compressed ${big[0].payload.length} B vs ${plain} B`);
      assert.deepEqual(JSON.parse(text(big[0])).pub.data, data);
      assert.ok(
        raw.every((f) => !f.rsv1),
        'compress: false namespace goes plain',
      );
      console.log(
        `# compressed once: ${big[0].payload.length} B on each of 3 deflate sockets (identical) vs ${plain} B plain`,
      );
      for (const p of peers) p.socket.destroy();
    },
  );

  it(
    'compresses a prepared frame once for any number of connections without context takeover (the codec is asked ' +
      'once)',
    () => {
      let compressions = 0;
      const codec: DeflateCodec = {
        acquireDeflate: () => ({
          compress: (d) => (compressions++, new Uint8Array(deflateRawSync(d, { finishFlush: constants.Z_SYNC_FLUSH }))),
        }),
        acquireInflate: () => ({ inflate: () => [] }),
        release() {},
      };
      const params = {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
      };
      const connections = Array.from(
        { length: 1000 },
        () => new PerMessageDeflate('server', params, codec, 16, 1 << 20),
      );
      const frame = prepareFrame(new TextEncoder().encode('x'.repeat(5000)), false);
      const sent = connections.map((c) => c.encodeShared(frame)!);
      assert.equal(compressions, 1);
      assert.ok(sent.every((s) => s === sent[0]));
      // With context takeover each connection compresses for itself.
      const takeover = new PerMessageDeflate(
        'server',
        { ...params, serverNoContextTakeover: false },
        codec,
        16,
        1 << 20,
      );
      takeover.encodeShared(frame);
      assert.equal(compressions, 2);
    },
  );

  it('the SDK over our WebSocket (which offers deflate) reads compressed publications', async () => {
    const server = createServer({
      allowAnonymous: true,
      compression: { threshold: 64 },
      namespaces: { big: { history: { size: 10, ttlMs: 60_000 } } },
    });
    servers.push(server);
    const { port } = await server.listen(0);
    const client = new Client(`ws://127.0.0.1:${port}/connection/websocket`, { WebSocket });
    client.connect();
    const got: unknown[] = [];
    const sub = client.subscribe('big:b');
    sub.on('publication', (p) => got.push(p.data));
    await until(() => sub.state === 'subscribed', 'subscribed');
    const data = { text: 'hello '.repeat(100) };
    await server.publish('big:b', data);
    await until(() => got.length === 1, 'publication');
    assert.deepEqual(got[0], data);
    client.disconnect();
  });
});
