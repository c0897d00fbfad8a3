// One driver per transport for the transport contract suite (test/transport-contract.test.ts).
// Black-box: each reaches a real server only through its public surface (the WebSocket endpoint,
// the HTTP transports' endpoints, `MemoryTransport` + `server.open`), and gives the same `Peer`.
import { randomBytes, createHash } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as h2Connect, createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { AddressInfo } from 'node:net';
import { createServer, encodeEventId, MemoryTransport, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import { Subprotocol, type StreamPosition } from '@switchboard/wire';
import { RawWebSocket } from './raw-websocket.js';
import { selfSignedCert } from './tls-cert.js';
import { PeerBase, type Capabilities, type Command, type OpenOptions, type Peer } from './transport-peer.js';

/** A running server, as the drivers reach it. */
export interface Target {
  server: SwitchboardServer;
  /** `http://127.0.0.1:port`: WebSocket, HTTP transports, API, metrics. */
  base: string;
  /** The same server over TLS with HTTP/2 (RFC 8441), when started with `h2`. */
  h2?: { url: string; ca: Buffer };
  close(): Promise<void>;
}

let cert: { key: Buffer; cert: Buffer } | undefined;

/** Starts a server on port 0; with `h2`, also an HTTPS + HTTP/2 listener attached to it (`attachHttp2`). */
export async function startTarget(options: ServerOptions, { h2 = false } = {}): Promise<Target> {
  const server = createServer(options);
  const address = await server.listen(0);
  const base = `http://127.0.0.1:${address.port}`;
  if (!h2) return { server, base, close: () => server.close() };
  cert ??= selfSignedCert();
  const sessions = new Set<Http2Session>();
  const tls: Http2SecureServer = createSecureServer({ ...cert, allowHTTP1: true, settings: { enableConnectProtocol: true } }, (req, res) => {
    if (!server.handleRequest(req as never, res as never)) res.writeHead(404).end();
  });
  tls.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.attachHttp2(tls);
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base,
    h2: { url: `https://127.0.0.1:${(tls.address() as AddressInfo).port}`, ca: cert.cert },
    close: async () => {
      await server.close();
      for (const s of sessions) s.destroy();
      await new Promise((resolve) => tls.close(resolve));
    },
  };
}

export interface Driver {
  /** The server's `transport` label for it. */
  readonly name: string;
  readonly caps: Capabilities;
  /** Needs the target's HTTP/2 listener. */
  readonly needsH2?: boolean;
  open(target: Target, options?: OpenOptions): Promise<Peer>;
}

const BIDIRECTIONAL: Capabilities = { commands: true, upstreamBatches: false, connectPing: true, stallNeedsTraffic: false };
const EMULATED: Capabilities = { ...BIDIRECTIONAL, upstreamBatches: true };

const connectCommand = (options: OpenOptions): Command => ({
  id: 1,
  method: 'connect',
  params: { ...(options.token ? { token: options.token } : {}), ...(options.subs ? { subs: options.subs } : {}) },
});

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

// WebSocket (HTTP/1.1 and HTTP/2): the raw client over a TCP socket or an extended-CONNECT stream.

class WebSocketPeer extends PeerBase {
  ws!: RawWebSocket;
  onClose: (() => void) | undefined;

  attach(ws: RawWebSocket): void {
    this.ws = ws;
  }
  message(text: string): void {
    this.deliver(text);
  }
  ended(code: number, reason: string): void {
    this.end(code, reason);
    this.onClose?.();
  }
  async send(commands: Command | Command[]): Promise<unknown> {
    this.ws.sendText(JSON.stringify(commands));
    return undefined;
  }
  async sendAll(commands: Command[]): Promise<{ resentOutcome?: string }> {
    this.ws.sendTexts(this.withIds(commands).map((c) => JSON.stringify(c)));
    return {};
  }
  stopReading(): void {
    this.ws.pause();
  }
  resumeReading(): void {
    this.ws.answering = true;
    this.ws.resume();
  }
  stopAnswering(): void {
    this.ws.answering = false;
    this.ws.pause();
  }
  async close(): Promise<void> {
    if (!this.isClosed) this.ws.close(1000);
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 500))]);
    this.ws.stream.destroy();
  }
}

const websocket: Driver = {
  name: 'websocket',
  caps: BIDIRECTIONAL,
  async open(target, options = {}) {
    const url = new URL(target.base);
    const socket = tcpConnect(Number(url.port), '127.0.0.1');
    await once(socket, 'connect');
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET /connection/websocket HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${Subprotocol.Json}\r\n\r\n`,
    );
    const peer = new WebSocketPeer('websocket');
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const text = head.subarray(0, end).toString('latin1');
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        if (!text.startsWith('HTTP/1.1 101') || !text.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`) || !text.includes(Subprotocol.Json)) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${text}`));
        }
        socket.pause();
        peer.attach(new RawWebSocket(socket, { message: (t) => peer.message(t), closed: (c, r) => peer.ended(c, r) }, head.subarray(end + 4)));
        socket.resume();
        resolve();
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
    peer.ws.sendText(JSON.stringify(connectCommand(options)));
    await peer.awaitConnect();
    return peer;
  },
};

const websocketH2: Driver = {
  name: 'websocket-h2',
  caps: BIDIRECTIONAL,
  needsH2: true,
  async open(target, options = {}) {
    const h2 = target.h2!;
    // One HTTP/2 connection per peer, so a peer that stops reading holds back only its own stream.
    const session = h2Connect(h2.url, { ca: h2.ca });
    session.on('error', () => {});
    await once(session, 'remoteSettings');
    if (!session.remoteSettings.enableConnectProtocol) throw new Error('no SETTINGS_ENABLE_CONNECT_PROTOCOL');
    const stream = session.request(
      { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/connection/websocket', 'sec-websocket-version': '13', 'sec-websocket-protocol': Subprotocol.Json },
      { endStream: false },
    );
    const [headers] = (await once(stream, 'response')) as [Record<string, string>];
    if (Number(headers[':status']) !== 200) throw new Error(`extended CONNECT refused: ${headers[':status']}`);
    const peer = new WebSocketPeer('websocket-h2');
    peer.attach(new RawWebSocket(stream, { message: (t) => peer.message(t), closed: (c, r) => peer.ended(c, r) }));
    peer.onClose = () => session.close();
    peer.ws.sendText(JSON.stringify(connectCommand(options)));
    await peer.awaitConnect();
    return peer;
  },
};

// HTTP streaming and SSE emulation: one long response down (a raw http.request, so pausing it
// is TCP backpressure), upstream POSTs with `seq`.

/** A long-lived response read chunk by chunk; pausing it stops the socket. */
async function openResponse(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<IncomingMessage> {
  const req = httpRequest(url, { method: init.method, agent: false, headers: init.headers });
  req.end(init.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  return res;
}

/** Splits a response body into lines, keeping the order of bytes. */
function onLines(res: IncomingMessage, line: (l: string) => void, end: () => void): void {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  res.on('data', (chunk: Buffer) => {
    buffer += decoder.write(chunk);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      line(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  res.on('error', () => {});
  res.on('close', end);
  res.on('end', end);
}

/** The upstream of the emulated transports: numbered POSTs, and ping answers while answering. */
class Upstream {
  seq = 0;
  answering = true;
  private readonly sent = new Map<number, unknown>();
  constructor(
    private readonly base: string,
    readonly node: string,
    readonly session: string,
  ) {}
  async post(data: unknown, seq = ++this.seq): Promise<{ status: number; body: any }> {
    this.sent.set(seq, data);
    return postJson(`${this.base}/connection/emulation`, { node: this.node, session: this.session, seq, data });
  }
  resend(seq: number): Promise<{ status: number; body: any }> {
    return this.post(this.sent.get(seq), seq);
  }
}

/** What the emulated transports share: upstream batches, and ping answers. */
abstract class EmulatedPeer extends PeerBase {
  upstream!: Upstream;
  async send(commands: Command | Command[]): Promise<unknown> {
    const answer = await this.upstream.post(commands);
    if (answer.status !== 200) throw new Error(`upstream POST answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
  /** Five batches of commands in flight together, then the second one resent with its seq. */
  async sendAll(commands: Command[]): Promise<{ resentOutcome?: string }> {
    const all = this.withIds(commands);
    const size = Math.ceil(all.length / 5);
    const batches = Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.slice(i * size, (i + 1) * size));
    const first = this.upstream.seq + 1;
    const answers = await Promise.all(batches.map((b) => this.upstream.post(b)));
    for (const a of answers) if (a.status !== 200) throw new Error(`upstream POST answered ${a.status} ${JSON.stringify(a.body)}`);
    const resent = await this.upstream.resend(first + 1);
    return { resentOutcome: resent.body.outcome };
  }
  /** Answers the server's `ping` push with a `ping` command, as the SDK does. */
  protected answerPing(msg: Record<string, any>): void {
    if (msg.push === 'ping' && this.upstream?.answering && !this.isClosed) void this.upstream.post({ id: this.nextId++, method: 'ping', params: {} }).catch(() => {});
  }
}

class StreamPeer extends EmulatedPeer {
  res!: IncomingMessage;
  message(text: string): void {
    const msg = JSON.parse(text);
    this.deliver(text, msg);
    this.answerPing(msg);
  }
  ended(): void {
    this.end(1006, 'stream ended without a close frame');
  }
  stopReading(): void {
    this.res.pause();
  }
  resumeReading(): void {
    this.upstream.answering = true;
    this.res.resume();
  }
  stopAnswering(): void {
    this.upstream.answering = false;
    this.res.pause();
  }
  async close(): Promise<void> {
    this.res.destroy();
    this.end(1000, 'client closed');
  }
}

async function openStreamPeer(target: Target, options: OpenOptions, format: 'ndjson' | 'sse'): Promise<Peer> {
  const peer = new StreamPeer(format === 'sse' ? 'sse-emulation' : 'http-stream');
  const connect = JSON.stringify(connectCommand(options));
  const res =
    format === 'sse'
      ? await openResponse(`${target.base}/connection/stream?format=sse&connect=${encodeURIComponent(connect)}`, { method: 'GET' })
      : await openResponse(`${target.base}/connection/stream`, { method: 'POST', body: connect, headers: { 'content-type': 'application/json' } });
  if (res.statusCode !== 200) throw new Error(`${peer.transport} refused: ${res.statusCode}`);
  peer.res = res;
  let data: string | undefined;
  onLines(
    res,
    format === 'ndjson'
      ? (line) => line && peer.message(line)
      : (line) => {
          // SSE framing (HTML §9.2.6), enough for our stream: `data:` lines, an empty line ends the event.
          if (line === '') {
            if (data !== undefined) peer.message(data);
            data = undefined;
          } else if (line.startsWith('data:')) {
            const value = line.slice(5).replace(/^ /, '');
            data = data === undefined ? value : `${data}\n${value}`;
          }
        },
    () => peer.ended(),
  );
  await peer.awaitConnect();
  peer.upstream = new Upstream(target.base, peer.connected.node, peer.connected.session!);
  return peer;
}

const httpStream: Driver = { name: 'http-stream', caps: EMULATED, open: (t, o = {}) => openStreamPeer(t, o, 'ndjson') };
const sseEmulation: Driver = { name: 'sse-emulation', caps: EMULATED, open: (t, o = {}) => openStreamPeer(t, o, 'sse') };

// Long-polling: polls with a cursor; a stopped client stops polling (and acknowledges nothing).

const POLL_WAIT_MS = 250;

class PollPeer extends EmulatedPeer {
  /** The last poll frame read (the long-poll cursor). */
  private read = 0;
  private running = true;
  private resumed: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly base: string,
    readonly node: string,
    readonly sessionToken: string,
  ) {
    super('long-poll');
  }

  /** The poll loop: each answer's frames in order, cursor = the last seq read. */
  async run(): Promise<void> {
    while (this.running && !this.isClosed) {
      if (this.stopped) {
        await new Promise<void>((resolve) => (this.resumed = resolve));
        continue;
      }
      let answer: { status: number; body: any };
      try {
        answer = await postJson(`${this.base}/connection/poll`, { node: this.node, session: this.sessionToken, cursor: this.read, waitMs: POLL_WAIT_MS });
      } catch {
        if (!this.running) return;
        this.end(1006, 'poll failed');
        return;
      }
      // An answer that came after the client stopped is not read: the next poll asks again from the same cursor.
      if (this.stopped || !this.running) continue;
      if (answer.status !== 200) {
        this.end(1006, `poll answered ${answer.status} ${JSON.stringify(answer.body)}`);
        return;
      }
      for (const f of answer.body.frames as { seq: number; data: string }[]) {
        if (f.seq !== this.read + 1) throw new Error(`poll frames out of order: ${f.seq} after ${this.read}`);
        this.read = f.seq;
        this.deliver(f.data);
      }
      if (answer.body.closed && !this.isClosed) this.end(1006, 'closed without a close frame');
    }
  }

  stopReading(): void {
    this.stopped = true;
  }
  resumeReading(): void {
    this.upstream.answering = true;
    this.stopped = false;
    this.resumed?.();
  }
  stopAnswering(): void {
    this.upstream.answering = false;
    this.stopped = true;
  }
  async close(): Promise<void> {
    // A long-poll client leaves by not polling again; the server expires the session (heartbeat).
    this.running = false;
    this.resumed?.();
    this.end(1000, 'client closed');
  }
}

const longPoll: Driver = {
  name: 'long-poll',
  caps: EMULATED,
  async open(target, options = {}) {
    const opened = await postJson(`${target.base}/connection/poll/open`, connectCommand(options));
    if (opened.status !== 200) throw new Error(`poll/open answered ${opened.status} ${JSON.stringify(opened.body)}`);
    const peer = new PollPeer(target.base, opened.body.node, opened.body.session);
    peer.upstream = new Upstream(target.base, opened.body.node, opened.body.session);
    void peer.run();
    await peer.awaitConnect();
    return peer;
  },
};

// Unidirectional SSE: channels in the URL, `since` as a Last-Event-ID; no upstream at all.

class SsePeer extends PeerBase {
  res!: IncomingMessage;
  lastEventId: string | undefined;
  private event: { name?: string; data?: string } = {};

  line(line: string): void {
    if (line === '') {
      const { name = 'message', data } = this.event;
      this.event = {};
      if (data === undefined) return;
      if (name === 'connected') this.deliver(data, { id: 1, result: JSON.parse(data) });
      else if (name === 'disconnect') this.deliver(data, { close: JSON.parse(data) });
      else if (name === 'resync') this.deliver(data, { event: 'resync', ...JSON.parse(data) });
      else this.deliver(data);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.event.data = this.event.data === undefined ? value : `${this.event.data}\n${value}`;
    else if (field === 'event') this.event.name = value;
    else if (field === 'id') this.lastEventId = value;
  }
  ended(): void {
    this.end(1006, 'stream ended without a disconnect event');
  }
  async send(): Promise<unknown> {
    throw new Error('uni SSE has no upstream');
  }
  async sendAll(): Promise<{ resentOutcome?: string }> {
    throw new Error('uni SSE has no upstream');
  }
  stopReading(): void {
    this.res.pause();
  }
  resumeReading(): void {
    this.res.resume();
  }
  stopAnswering(): void {
    this.res.pause();
  }
  async close(): Promise<void> {
    this.res.destroy();
    this.end(1000, 'client closed');
  }
}

/** The channel of a uni SSE peer opened without `subs`. */
export const SSE_IDLE_CHANNEL = 'plain:idle';

const sse: Driver = {
  name: 'sse',
  caps: { commands: false, upstreamBatches: false, connectPing: false, stallNeedsTraffic: true },
  async open(target, options = {}) {
    const query = new URLSearchParams();
    const since = new Map<string, StreamPosition>();
    // The endpoint needs a channel: a peer with none listens on an idle one.
    for (const [channel, sub] of Object.entries(options.subs ?? { [SSE_IDLE_CHANNEL]: {} })) {
      query.append('channel', channel);
      if (sub.since) since.set(channel, sub.since);
    }
    if (options.token) query.set('token', options.token);
    const headers: Record<string, string> = since.size ? { 'last-event-id': encodeEventId(since) } : {};
    const res = await openResponse(`${target.base}/connection/sse?${query}`, { method: 'GET', headers });
    if (res.statusCode !== 200) throw new Error(`uni SSE refused: ${res.statusCode}`);
    const peer = new SsePeer('sse');
    peer.res = res;
    onLines(res, (l) => peer.line(l), () => peer.ended());
    await peer.awaitConnect();
    return peer;
  },
};

// Memory: `MemoryTransport` opened on the server with `server.open`, no socket.

class MemoryPeer extends PeerBase {
  transportEnd!: MemoryTransport;
  private readonly text = new TextDecoder();
  private readonly utf8 = new TextEncoder();

  received(bytes: Uint8Array): void {
    this.deliver(this.text.decode(bytes));
  }
  closedBy(code: number, reason: string): void {
    this.end(code, reason);
  }
  async send(commands: Command | Command[]): Promise<unknown> {
    this.transportEnd.send(this.utf8.encode(JSON.stringify(commands)));
    return undefined;
  }
  async sendAll(commands: Command[]): Promise<{ resentOutcome?: string }> {
    for (const c of this.withIds(commands)) this.transportEnd.send(this.utf8.encode(JSON.stringify(c)));
    return {};
  }
  stopReading(): void {
    this.transportEnd.pauseReading();
  }
  resumeReading(): void {
    this.transportEnd.resumeReading();
  }
  stopAnswering(): void {
    // A memory client that stops reading answers no keepalive either (MemoryTransport's contract).
    this.transportEnd.pauseReading();
  }
  async close(): Promise<void> {
    this.transportEnd.closeFromClient(1000);
    this.end(1000, 'client closed');
  }
}

const memory: Driver = {
  name: 'memory',
  caps: BIDIRECTIONAL,
  async open(target, options = {}) {
    const peer = new MemoryPeer('memory');
    const codec = target.server.options.codecs.find((c) => c.subprotocol === Subprotocol.Json)!;
    peer.transportEnd = new MemoryTransport(codec, { onMessage: (b) => peer.received(b), onClose: (c, r) => peer.closedBy(c, r) });
    target.server.open(peer.transportEnd);
    await peer.send(connectCommand(options));
    await peer.awaitConnect();
    return peer;
  },
};

/** Every transport's driver, in the order of docs/transports.md. */
export const DRIVERS: readonly Driver[] = [websocket, websocketH2, sse, httpStream, sseEmulation, longPoll, memory];
