// One load-generator process. Speaks raw RFC 6455 with frames masked once up front (a fixed mask
// per frame is legal to send; it keeps the generator cheap), Engine.IO v4 text packets for
// Socket.IO, and the Switchboard protocol (connect + subscribe; JSON or MessagePack) or the Pusher protocol
// (connection_established, then pusher:subscribe; publications through its signed REST API) for our real-time server.
// Replies are counted with our sans-I/O FrameParser, never inflated.
// Prints "START" when measuring begins and "RESULT {json}" at the end; in channel mode also
// "JOINED" once every subscriber is in, then waits for a line on stdin (the orchestrator reads
// the server's memory meanwhile) before it publishes.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import zlib from 'node:zlib';
import { Reservoir, now, percentile } from '@switchboard/loadtest';
import { FrameParser, type FrameHeader } from '@switchboard/protocol';
import { publicationData, publicationText, readSeq, seqOffset, type Protocol } from './lib/channel-payload.js';
import { API_KEY, CHANNEL, PUSHER_APP, PUSHER_CHANNEL } from './lib/realtime-bench.js';
import { joinMessages, joinReplyId, switchboardCodec } from './lib/switchboard-wire.js';

export interface LoadConfig {
  /** fanout: a publisher connection's messages broadcast to all; channel: a real-time channel (JSON data). */
  mode: 'idle' | 'handshake' | 'echo' | 'fanout' | 'channel';
  protocol: Protocol;
  port: number;
  /** Several server nodes: connections are spread over them in turn; the publisher uses `port`. */
  ports?: number[];
  connections: number;
  seconds: number;
  /** Messages in flight per connection (echo) or across subscribers (fanout). */
  depth: number;
  payloadBytes: number;
  /** Offer permessage-deflate without context takeover and send pre-compressed frames. */
  deflate: boolean;
  /** Echo payload: 'bytes' (binary) or 'json' (JSON-like text). */
  payload: 'bytes' | 'json';
}

const config = JSON.parse(process.argv[2]) as LoadConfig;
const sio = config.protocol === 'socketio';
const switchboard = config.protocol === 'switchboard' || config.protocol === 'switchboard-msgpack';
const codec = switchboard ? switchboardCodec(config.protocol as 'switchboard') : undefined;
const pusher = config.protocol === 'pusher';
/** Bytes the subscribers received while measuring: frames, headers and all. */
const wire = { counting: false, bytes: 0 };
const ports = config.ports ?? [config.port];
let opened = 0;
/**
 * Enough of each frame to read a timestamp, also from a Socket.IO event with a base64 payload, and a whole channel
 * publication.
 */
const HEAD_BYTES = 192;
const PATH = sio
  ? '/socket.io/?EIO=4&transport=websocket'
  : switchboard
    ? '/connection/websocket'
    : pusher
      ? `/app/${PUSHER_APP.key}?protocol=7&client=bench`
      : '/';
/** Pusher: the subscribe sent once `connection_established` came. */
const PUSHER_JOIN = maskedFrame(
  0x81,
  Buffer.from(JSON.stringify({ event: 'pusher:subscribe', data: { channel: PUSHER_CHANNEL } })),
);

function maskedFrame(firstByte: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([firstByte, 0x80 | len])
      : len < 65536
        ? Buffer.from([firstByte, 0xfe, len >> 8, len & 0xff])
        : Buffer.alloc(10);
  if (len >= 65536) {
    head[0] = firstByte;
    head[1] = 0xff;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, key, body]);
}

function request(): string {
  const ext = config.deflate
    ? 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n'
    : '';
  const sub = codec ? `Sec-WebSocket-Protocol: ${codec.subprotocol}\r\n` : '';
  return (
    `GET ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${sub}${ext}\r\n`
  );
}

/**
 * Inflates a compressed message (no context takeover: each stands alone). Every subscriber gets the
 * same compressed bytes for a publication, so the few latest are remembered: the generator inflates
 * each publication about once, not once per delivery.
 */
const inflatedCache = new Map<string, Buffer>();
function inflated(payload: Buffer): Buffer {
  const key = payload.toString('latin1');
  let out = inflatedCache.get(key);
  if (!out) {
    if (inflatedCache.size > 64) inflatedCache.clear();
    out = zlib
      .inflateRawSync(Buffer.concat([payload, TRAILER]), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, HEAD_BYTES);
    inflatedCache.set(key, out);
  }
  return out;
}
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

interface Conn {
  socket: Socket;
  /** Called with each complete data frame's first HEAD_BYTES payload bytes. */
  onFrame: (head: Buffer) => void;
  /** Called after each received chunk is parsed: one write answers everything it held. */
  onChunkEnd?: () => void;
}

/** Switchboard: connect, then subscribe, in one write; the same masked bytes for every connection. */
const JOIN = codec
  ? Buffer.concat(joinMessages(codec).map((m) => maskedFrame(codec.binary ? 0x82 : 0x81, m)))
  : undefined;

/** Opens a connection through the upgrade (and the Socket.IO namespace connect, or the Switchboard subscribe). */
function open(onFrame: (head: Buffer) => void): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(ports[opened++ % ports.length], '127.0.0.1');
    socket.setNoDelay(true);
    const conn: Conn = { socket, onFrame };
    let head = Buffer.alloc(0);
    let frameHead: Buffer[] = [];
    let frameHeadLen = 0;
    let ready = !sio && !switchboard && !pusher;
    let header: FrameHeader;
    const parser = new FrameParser(
      { role: 'client', allowedRsv: 0x40, maxFrameLength: 1 << 30 },
      {
        onFrameHeader: (h) => {
          header = h;
          frameHead = [];
          frameHeadLen = 0;
        },
        onFramePayload: (chunk, last) => {
          if (codec && header.rsv & 0x40) {
            // A compressed real-time message (the server's `compression`): inflated whole, to read its sequence number.
            frameHead.push(Buffer.from(chunk));
            if (!last) return;
            const bytes = inflated(Buffer.concat(frameHead));
            if (ready) return conn.onFrame(bytes);
            ready = joinReplyId(codec, bytes) === 2;
            if (ready) resolve(conn);
            return;
          }
          // The usual case, a frame whole in one chunk, is passed on as a view: nothing copied.
          const whole = last && frameHeadLen === 0;
          if (!whole && frameHeadLen < HEAD_BYTES) {
            frameHead.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - frameHeadLen)));
            frameHeadLen += chunk.length;
          }
          if (!last || header.opcode >= 0x8 || !header.fin) return;
          const bytes = whole
            ? Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.length, HEAD_BYTES))
            : Buffer.concat(frameHead);
          if (ready) return conn.onFrame(bytes);
          if (codec) {
            // Replies to connect (id 1), then subscribe (id 2), which makes the connection ready.
            try {
              ready = joinReplyId(codec, bytes) === 2;
            } catch (error) {
              return reject(error);
            }
          } else if (pusher) {
            const text = bytes.toString();
            if (text.includes('"pusher:connection_established"')) socket.write(PUSHER_JOIN);
            else ready = text.includes('"pusher_internal:subscription_succeeded"');
          } else if (bytes[0] === 0x30 && bytes[1] === 0x7b) {
            // Engine.IO: "0{…}" is the open packet; answer "40", then "40{…}" acknowledges the namespace.
            socket.write(maskedFrame(0x81, Buffer.from('40')));
          } else {
            ready = bytes[0] === 0x34 && bytes[1] === 0x30;
          }
          if (ready) resolve(conn);
        },
      },
    );
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
      socket.on('data', (c: Buffer) => {
        parser.push(c);
        conn.onChunkEnd?.();
      });
      if (ready) resolve(conn);
      if (JOIN) socket.write(JOIN);
      const rest = head.subarray(end + 4);
      if (rest.length) parser.push(Buffer.from(rest));
    };
    socket.on('data', onHead);
    socket.on('error', reject);
    socket.write(request());
  });
}

async function openMany(n: number, onFrame: (i: number) => (head: Buffer) => void): Promise<Conn[]> {
  const conns: Conn[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      conns[i] = await open(onFrame(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(100, n) }, worker));
  return conns;
}

/** JSON-like text of about `size` bytes, compressible the way real payloads are. */
function jsonText(size: number): string {
  const rows: string[] = [];
  for (let i = 0; rows.join(',').length < size - 40; i++) {
    rows.push(
      JSON.stringify({
        id: i,
        symbol: ['ACME', 'GLOBX', 'INITech'][i % 3],
        bid: 100 + (i % 17) / 4,
        ask: 101 + (i % 13) / 4,
        ts: 1700000000000 + i,
      }),
    );
  }
  return `{"rows":[${rows.join(',')}]}`;
}

/** The message a client sends: bytes or JSON text, as a frame or a Socket.IO event; pre-compressed when deflating. */
function dataFrame(payload: Buffer, text = false): Buffer {
  const event = config.mode === 'fanout' ? 'm' : 'e';
  const body = sio
    ? Buffer.from(`42["${event}",${text ? payload.toString() : `"${payload.toString('base64')}"`}]`)
    : payload;
  const opcode = sio || text ? 0x1 : 0x2;
  if (!config.deflate) return maskedFrame(0x80 | opcode, body);
  // Without client context takeover, one compressed frame is valid every time it is sent.
  const compressed = zlib.deflateRawSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return maskedFrame(0xc0 | opcode, compressed.subarray(0, compressed.length - 4));
}

/** Warms up for 0.5 s, then measures for `config.seconds`; returns the measured seconds. */
async function measureWindow(setMeasuring: (on: boolean) => void): Promise<number> {
  await new Promise((r) => setTimeout(r, 500));
  setMeasuring(true);
  console.log('START');
  const started = now();
  await new Promise((r) => setTimeout(r, config.seconds * 1000));
  setMeasuring(false);
  return (now() - started) / 1000;
}

function report(result: Record<string, number>): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  const { mode, seconds } = config;
  if (mode === 'idle') {
    await openMany(config.connections, () => () => {});
    console.log('START');
    report({ open: config.connections });
    await new Promise(() => {}); // hold the sockets until the orchestrator kills us
  }

  if (mode === 'handshake') {
    let done = 0;
    let stop = false;
    console.log('START');
    const started = now();
    const loop = async () => {
      while (!stop) {
        const conn = await open(() => () => {});
        conn.socket.resetAndDestroy(); // RST: no TIME_WAIT, so ports are not exhausted
        done++;
      }
    };
    setTimeout(() => (stop = true), seconds * 1000);
    await Promise.all(Array.from({ length: config.connections }, loop));
    report({ handshakes: done, seconds: (now() - started) / 1000 });
    process.exit(0);
  }

  if (mode === 'echo') {
    const json = config.payload === 'json';
    const frame = json
      ? dataFrame(Buffer.from(jsonText(config.payloadBytes)), true)
      : dataFrame(Buffer.alloc(config.payloadBytes, 0x61));
    const batch = Buffer.concat(Array.from({ length: config.depth }, () => frame));
    const rtt = new Reservoir();
    let echoes = 0;
    let bytes = 0;
    let measuring = false;
    const fifos: number[][] = [];
    const owed: number[] = [];
    const conns = await openMany(config.connections, (i) => {
      fifos[i] = [];
      owed[i] = 0;
      return () => {
        const sent = fifos[i].shift()!;
        if (measuring) {
          echoes++;
          bytes += config.payloadBytes;
          rtt.add(now() - sent);
        }
        owed[i]++;
      };
    });
    // Keep `depth` messages in flight per connection: replace each echo, in one write per received chunk.
    const refill = (i: number) => {
      const n = owed[i];
      if (n === 0) return;
      owed[i] = 0;
      const t = now();
      for (let k = 0; k < n; k++) fifos[i].push(t);
      conns[i].socket.write(n === 1 ? frame : batch.subarray(0, n * frame.length));
    };
    conns.forEach((c, i) => {
      c.onChunkEnd = () => refill(i);
      owed[i] = config.depth;
      refill(i);
    });
    const elapsed = await measureWindow((on) => (measuring = on));
    report({
      messages: echoes,
      seconds: elapsed,
      rttP50: percentile(rtt.samples, 50),
      rttP99: percentile(rtt.samples, 99),
      megabytes: bytes / 1e6,
    });
    process.exit(0);
  }

  if (mode === 'fanout') {
    const subscribers = config.connections;
    const latency = new Reservoir();
    const pending = new Map<number, number>(); // seq → deliveries still expected
    let deliveries = 0;
    let measuring = false;
    let seq = 0;
    let publisher: Conn;
    const parse = (head: Buffer): [number, number] => {
      if (!sio) return [head.readDoubleLE(0), head.readUInt32LE(8)];
      const b64 = /"m","([^"]+)"/.exec(head.toString('latin1'))?.[1] ?? '';
      const raw = Buffer.from(b64, 'base64');
      return [raw.readDoubleLE(0), raw.readUInt32LE(8)];
    };
    const publish = () => {
      const payload = Buffer.alloc(config.payloadBytes);
      payload.writeDoubleLE(now(), 0);
      payload.writeUInt32LE(seq, 8);
      pending.set(seq++, subscribers);
      publisher.socket.write(dataFrame(payload));
    };
    await openMany(subscribers, () => (head) => {
      const [sent, s] = parse(head);
      if (measuring) {
        deliveries++;
        latency.add(now() - sent);
      }
      const left = pending.get(s)! - 1;
      if (left > 0) pending.set(s, left);
      else {
        pending.delete(s);
        publish();
      }
    });
    publisher = await open(() => {}); // it receives its own broadcasts too; they are not counted
    for (let d = 0; d < config.depth; d++) publish();
    const elapsed = await measureWindow((on) => (measuring = on));
    report({
      deliveries,
      seconds: elapsed,
      p50: percentile(latency.samples, 50),
      p99: percentile(latency.samples, 99),
    });
    process.exit(0);
  }

  if (mode === 'channel') {
    // Closed loop: `depth` publications in flight; one that has reached every subscriber is replaced.
    const n = config.connections;
    const latency = new Reservoir();
    const sentAt: number[] = []; // by publication index
    const left: number[] = []; // deliveries of each publication still expected
    const received = new Uint32Array(n); // per subscriber, which is also the index it must get next
    const first: Buffer[] = [];
    const last: Buffer[] = [];
    let seqAt = -1; // same offset in every publication frame of this protocol
    let deliveries = 0;
    let measuring = false;
    let stopping = false;
    let send: (data: string) => void = () => {};
    const publish = () => {
      sentAt.push(now());
      left.push(n);
      send(publicationText(sentAt.length - 1, config.payloadBytes));
    };
    const subscribers = await openMany(n, (c) => (frame) => {
      if (sio && frame[0] !== 0x34) return; // an Engine.IO ping ("2"), not an event ("42[…]")
      if (seqAt < 0) seqAt = seqOffset(frame, config.protocol);
      const i = readSeq(frame, seqAt, config.protocol);
      // One publisher, one channel: every subscriber gets every publication once, in order.
      if (i !== received[c]++)
        throw new Error(`subscriber ${c}: publication ${i} arrived where ${received[c] - 1} was due`);
      first[c] ??= frame;
      last[c] = frame;
      if (measuring) {
        deliveries++;
        latency.add(now() - sentAt[i]);
      }
      if (--left[i] === 0 && !stopping) publish();
    });
    console.log('JOINED');
    await new Promise((resolve) => process.stdin.once('data', resolve).once('end', resolve));
    for (const conn of subscribers)
      conn.socket.on('data', (chunk: Buffer) => wire.counting && (wire.bytes += chunk.length));
    send = await (switchboard ? httpPublisher(apiPublish) : pusher ? httpPublisher(pusherTrigger) : socketPublisher());
    for (let d = 0; d < config.depth; d++) publish();
    await new Promise((r) => setTimeout(r, 500)); // warm-up
    measuring = wire.counting = true;
    console.log('START');
    const started = now();
    await new Promise((r) => setTimeout(r, config.seconds * 1000));
    // The window ends when the publications in flight have reached everyone: none may be missing.
    stopping = true;
    for (let waited = 0; left.some((l) => l > 0); waited += 10) {
      if (waited > 10_000) throw new Error(`${left.reduce((a, b) => a + b)} deliveries missing after 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = (now() - started) / 1000;
    const expect = (frame: Buffer, i: number, c: number) => {
      const data = JSON.stringify(publicationData(frame, config.protocol));
      if (data !== publicationText(i, config.payloadBytes))
        throw new Error(`subscriber ${c}, publication ${i}: got ${data}`);
    };
    for (let c = 0; c < n; c++) {
      expect(first[c], 0, c);
      expect(last[c], sentAt.length - 1, c);
    }
    wire.counting = false;
    report({
      deliveries,
      seconds: elapsed,
      publications: sentAt.length,
      wireBytes: wire.bytes,
      p50: percentile(latency.samples, 50),
      p99: percentile(latency.samples, 99),
    });
    process.exit(0);
  }
}

/**
 * Publishes through our server's HTTP API (`request` makes each request's text) on one keep-alive
 * connection, pipelined (requests do not wait for answers, as messages on a ws or Socket.IO publisher
 * connection do not), so publications keep their order. Every answer must be 200.
 */
async function httpPublisher(request: (data: string) => string): Promise<(data: string) => void> {
  const socket = connect(config.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let answers = '';
  socket.setEncoding('latin1').on('data', (text: string) => {
    answers += text;
    for (let end; (end = answers.indexOf('\r\n\r\n')) >= 0; ) {
      const length = Number(/content-length: (\d+)/i.exec(answers.slice(0, end))?.[1]);
      if (answers.length < end + 4 + length) return;
      if (!answers.startsWith('HTTP/1.1 200 '))
        throw new Error(`publish failed: ${answers.slice(0, end + 4 + length)}`);
      answers = answers.slice(end + 4 + length);
    }
  });
  return (data) => socket.write(request(data));
}

/** `POST /api/publish`, the native HTTP API. */
function apiPublish(data: string): string {
  const body = `{"channel":"${CHANNEL}","data":${data}}`;
  return (
    `POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: apikey ${API_KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * `POST /apps/{id}/events`, signed as the Pusher SDK signs it (the signing is the generator's cost, not the server's).
 */
function pusherTrigger(data: string): string {
  const body = JSON.stringify({ name: 'p', channels: [PUSHER_CHANNEL], data });
  const path = `/apps/${PUSHER_APP.id}/events`;
  const query =
    `auth_key=${PUSHER_APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&` +
    `body_md5=${createHash('md5').update(body).digest('hex')}`;
  const signature = createHmac('sha256', PUSHER_APP.secret).update(`POST\n${path}\n${query}`).digest('hex');
  return (
    `POST ${path}?${query}&auth_signature=${signature} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * Publishes as a ws or Socket.IO client whose messages the server broadcasts; it gets its own broadcasts too,
 * uncounted.
 */
async function socketPublisher(): Promise<(data: string) => void> {
  const publisher = await open(() => {});
  return (data) => publisher.socket.write(maskedFrame(0x81, Buffer.from(sio ? `42["m",${data}]` : data)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
