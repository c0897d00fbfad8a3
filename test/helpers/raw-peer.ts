import { once } from 'node:events';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** Reads from a socket until `predicate` holds on everything received so far. */
export async function readUntil(
  socket: Socket,
  predicate: (all: Buffer) => boolean,
  timeoutMs = 5000,
): Promise<Buffer> {
  let all = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`timed out; got ${all.length} bytes: ${all.subarray(0, 80).toString('hex')}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      all = Buffer.concat([all, chunk]);
      if (predicate(all)) finish();
    };
    const onEnd = () =>
      finish(predicate(all) ? undefined : new Error(`ended early; got ${all.toString('latin1').slice(0, 200)}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      if (error) reject(error);
      else resolve(all);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}

/** Opens a TCP connection and sends `head` verbatim (no checks): for malformed handshakes. */
export async function rawRequest(port: number, head: string | Buffer): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(head);
  return socket;
}

export function upgradeRequest(overrides: Record<string, string | null> = {}): string {
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  const lines = Object.entries(headers)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return `GET / HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A raw client past the handshake, which can send arbitrary (even invalid) frames. */
export async function rawClient(port: number): Promise<Socket> {
  const socket = await rawRequest(port, upgradeRequest());
  const head = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
  if (!head.toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(`not upgraded: ${head.toString('latin1')}`);
  return socket;
}

/** A masked client frame with arbitrary first byte and payload. */
export function clientFrame(firstByte: number, payload: Buffer, masked = true): Buffer {
  const key = masked ? randomBytes(4) : Buffer.alloc(0);
  const len = payload.length;
  const header =
    len < 126
      ? Buffer.from([firstByte, (masked ? 0x80 : 0) | len])
      : Buffer.from([firstByte, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([header, key, body]);
}

export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

/** Extracts the first close frame's status code from server→client bytes (unmasked). */
export function firstCloseCode(bytes: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let len = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at + 2);
      start += 2;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at + 2));
      start += 8;
    }
    if (opcode === 0x8) return len >= 2 ? bytes.readUInt16BE(start) : 1005;
    at = start + len;
  }
  return undefined;
}

/** A raw server that completes any handshake and then runs `script` on the socket: for feeding a client bad frames. */
export async function rawServer(script: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    readUntil(socket, (b) => b.includes('\r\n\r\n')).then(
      (head) => {
        const key = /sec-websocket-key: (.*)\r\n/i.exec(head.toString('latin1'))?.[1] ?? '';
        const accept = createHash('sha1')
          .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        script(socket);
      },
      () => socket.destroy(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}
