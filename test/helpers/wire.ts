// Helpers for permessage-deflate interop tests: compressible payloads that a peer in another
// language can rebuild, and an echo server that records how many bytes crossed the TCP socket.
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocketServer, type ServerWebSocket, type WebSocketServerOptions } from '@switchboard/websocket';

export const NOTE = 'héllo ✓ 🚀';

/** One market-data-like JSON message; fixtures/python/deflate_client.py builds the identical string. */
export const quote = (i: number, book: number, note = NOTE): string =>
  JSON.stringify({
    seq: i,
    type: 'quote',
    symbol: 'ACME',
    note,
    bid: 100 + (i % 7),
    ask: 101 + (i % 5),
    book: Array.from({ length: book }, (_, k) => [k, k * 2 + (i % 3)]),
  });

/** A JSON document of `rows` quotes (≈160 bytes each); deflate_client.py's document() matches. */
export const jsonDocument = (rows: number, note = NOTE): string =>
  `{"rows":[${Array.from({ length: rows }, (_, i) => quote(i, 10, note)).join(',')}]}`;

/** Socket counters at one moment. `written` includes bytes Node has queued but not yet flushed. */
export interface Counters {
  read: number;
  written: number;
}

export interface RecordedMessage extends Counters {
  data: Buffer;
  isBinary: boolean;
}

export interface RecordedConnection {
  ws: ServerWebSocket;
  socket: Socket;
  /** Counters right after the handshake (the request read, the 101 response written). */
  atOpen: Counters;
  /** Every message received, with the counters at its arrival, taken before it is echoed. */
  messages: RecordedMessage[];
  /** Resolves at the server's 'close' event with the final counters. */
  closed: Promise<{ code: number; reason: string; wasClean: boolean } & Counters>;
}

export interface CountingEchoServer {
  wss: WebSocketServer;
  port: number;
  connections: RecordedConnection[];
  /** Resolves with the next connection (or one that has already arrived and was not yet taken). */
  nextConnection(): Promise<RecordedConnection>;
  close(): Promise<void>;
}

/**
 * An echo server on its own TCP listener, so the test owns each net.Socket and can read
 * bytesRead/bytesWritten: what really crossed the wire, compressed or not. One client at a
 * time: a connection is paired with the socket that completed its handshake.
 */
export async function countingEchoServer(options: WebSocketServerOptions): Promise<CountingEchoServer> {
  const wss = new WebSocketServer(options);
  const connections: RecordedConnection[] = [];
  const waiters: ((c: RecordedConnection) => void)[] = [];
  let taken = 0;
  let handshaking: Socket | undefined;
  const marks = new Map<Socket, () => void>();

  const tcp: Server = createServer({ noDelay: true }, (socket) => {
    // Registered before handleDuplex's listener, so it runs first for the chunk that completes the handshake.
    const mark = () => (handshaking = socket);
    marks.set(socket, mark);
    socket.on('data', mark);
    socket.once('close', () => marks.delete(socket));
    wss.handleDuplex(socket);
  });
  wss.on('connection', (ws) => {
    const socket = handshaking!;
    socket.off('data', marks.get(socket)!);
    marks.delete(socket);
    const counters = (): Counters => ({ read: socket.bytesRead, written: socket.bytesWritten });
    const messages: RecordedMessage[] = [];
    const closed = new Promise<RecordedConnection['closed'] extends Promise<infer T> ? T : never>((resolve) =>
      ws.on('close', (code, reason, wasClean) => resolve({ code, reason, wasClean, ...counters() })),
    );
    ws.on('message', (data, isBinary) => {
      messages.push({ data: Buffer.from(data), isBinary, ...counters() });
      ws.send(data, { binary: isBinary });
    });
    const connection = { ws, socket, atOpen: counters(), messages, closed };
    connections.push(connection);
    const waiter = waiters.shift();
    if (waiter) {
      taken++;
      waiter(connection);
    }
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  return {
    wss,
    port: (tcp.address() as AddressInfo).port,
    connections,
    nextConnection: () =>
      taken < connections.length
        ? Promise.resolve(connections[taken++])
        : new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      await wss.close();
      for (const { socket } of connections) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

/** Total UTF-8 bytes of some strings. */
export const utf8Bytes = (strings: readonly string[]): number => strings.reduce((n, s) => n + Buffer.byteLength(s), 0);
