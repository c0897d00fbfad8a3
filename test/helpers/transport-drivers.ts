// One driver per transport for the transport contract suite (test/transport-contract.test.ts).
// Black-box: each reaches a real server only through its public surface (the WebSocket endpoint,
// the HTTP transports' endpoints, `MemoryTransport` + `server.open`), and gives the same `Peer`.
// This file: the server under test, the WebSocket drivers (HTTP/1.1 and RFC 8441), memory, and the
// list; the HTTP transports' drivers are in http-transport-drivers.ts.
import { randomBytes, createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect as h2Connect, createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { createServer, MemoryTransport, type ServerOptions } from '@switchboard/server';
import { Subprotocol } from '@switchboard/wire';
import { httpStream, longPoll, sse, sseEmulation } from './http-transport-drivers.js';
import { RawWebSocket } from './raw-websocket.js';
import { selfSignedCert } from './tls-cert.js';
import {
  connectCommand,
  PeerBase,
  type Capabilities,
  type Command,
  type Driver,
  type Target,
} from './transport-peer.js';

export type { Driver, Target } from './transport-peer.js';

let cert: { key: Buffer; cert: Buffer } | undefined;

/** Starts a server on port 0; with `h2`, also an HTTPS + HTTP/2 listener attached to it (`attachHttp2`). */
export async function startTarget(options: ServerOptions, { h2 = false } = {}): Promise<Target> {
  const server = createServer(options);
  const address = await server.listen(0);
  const base = `http://127.0.0.1:${address.port}`;
  if (!h2) return { server, base, close: () => server.close() };
  cert ??= selfSignedCert();
  const sessions = new Set<Http2Session>();
  const tls: Http2SecureServer = createSecureServer(
    { ...cert, allowHTTP1: true, settings: { enableConnectProtocol: true } },
    (req, res) => {
      if (!server.handleRequest(req as never, res as never)) res.writeHead(404).end();
    },
  );
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

const BIDIRECTIONAL: Capabilities = {
  commands: true,
  upstreamBatches: false,
  connectPing: true,
  stallNeedsTraffic: false,
};

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
        if (
          !text.startsWith('HTTP/1.1 101') ||
          !text.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`) ||
          !text.includes(Subprotocol.Json)
        ) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${text}`));
        }
        socket.pause();
        peer.attach(
          new RawWebSocket(
            socket,
            { message: (t) => peer.message(t), closed: (c, r) => peer.ended(c, r) },
            head.subarray(end + 4),
          ),
        );
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
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'https',
        ':path': '/connection/websocket',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': Subprotocol.Json,
      },
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
    peer.transportEnd = new MemoryTransport(codec, {
      onMessage: (b) => peer.received(b),
      onClose: (c, r) => peer.closedBy(c, r),
    });
    target.server.open(peer.transportEnd);
    await peer.send(connectCommand(options));
    await peer.awaitConnect();
    return peer;
  },
};

/** Every transport's driver, in the order of docs/transports.md. */
export const DRIVERS: readonly Driver[] = [websocket, websocketH2, sse, httpStream, sseEmulation, longPoll, memory];
