// Load connections over RFC 6455, kept cheap: raw sockets, our sans-I/O FrameParser for what the
// server sends, client frames masked with a fresh key each (RFC 6455 §5.3), JSON codec.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { FrameParser, type FrameHeader } from '@switchboard/protocol';
import { jsonClientCodec } from '@switchboard/wire';
import {
  LoadOpenError,
  type LoadConnection,
  type LoadSink,
  type LoadTarget,
  type LoadTransport,
} from './load-transport.js';

/** Longest a connection may take from TCP connect to its last subscribe reply. */
const OPEN_TIMEOUT_MS = 30_000;

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0xfe, len >> 8, len & 0xff]);
  if (len >= 65536) throw new RangeError('load commands stay under 64 KiB');
  const key = randomBytes(4);
  for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
  return Buffer.concat([head, key, payload]);
}

function joinCommands(channels: readonly string[], token: string | undefined): Buffer {
  const commands = [
    jsonClientCodec.encodeCommand({ id: 1, method: 'connect', params: token ? { token } : {} }) as string,
  ];
  channels.forEach((channel, i) =>
    commands.push(jsonClientCodec.encodeCommand({ id: i + 2, method: 'subscribe', params: { channel } }) as string),
  );
  return Buffer.concat(commands.map(maskedText));
}

export const websocketLoadTransport: LoadTransport = {
  name: 'websocket',
  open(target: LoadTarget, channels: readonly string[], sink: LoadSink): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
      socket.setNoDelay(true);
      let pending = channels.length + 1;
      let up = false;
      let closeCode = 1006;
      const fail = (code: string, message: string, command?: LoadOpenError['command']) => {
        socket.destroy();
        reject(new LoadOpenError(code, message, command));
      };
      const timer = setTimeout(() => fail('timeout', `not joined within ${OPEN_TIMEOUT_MS} ms`), OPEN_TIMEOUT_MS);
      let header: FrameHeader;
      let parts: Buffer[] = [];
      const parser = new FrameParser(
        { role: 'client', allowedRsv: 0, maxFrameLength: 1 << 26 },
        {
          onFrameHeader: (h) => {
            header = h;
          },
          onFramePayload: (chunk, last) => {
            parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
            if (!last) return;
            const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts);
            parts = [];
            if (header.opcode === 0x8) closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
            // The server's liveness check is a ping frame (no app-level ping is asked for in connect).
            if (header.opcode === 0x9)
              socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
            if (header.opcode !== 0x1) return;
            let message;
            try {
              message = jsonClientCodec.decodeMessage(payload.toString());
            } catch {
              return fail('bad-message', payload.toString().slice(0, 200));
            }
            if ('push' in message) {
              if (message.push === 'publication') sink.publication(message.channel, message.pub.data);
              return;
            }
            // Reply 1 answers connect, the others the subscribes (see joinCommands).
            if ('error' in message && message.error)
              return fail(
                `reply-${message.error.code}`,
                message.error.message,
                message.id === 1 ? 'connect' : 'subscribe',
              );
            if (--pending === 0) {
              clearTimeout(timer);
              up = true;
              resolve({ close: () => socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])) });
            }
          },
        },
      );
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1', 0, 16))?.[1] ?? '???';
        if (status !== '101') return fail(`http-${status}`, head.toString('latin1', 0, end));
        socket.on('data', (c: Buffer) => {
          try {
            parser.push(c);
          } catch (error) {
            fail('protocol', (error as Error).message);
          }
        });
        const rest = head.subarray(end + 4);
        if (rest.length) parser.push(Buffer.from(rest));
      };
      socket.on('data', onHead);
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!up) fail(error.code ?? 'socket-error', error.message);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (up) sink.closed(closeCode);
        else reject(new LoadOpenError('closed', 'closed before joining'));
      });
      socket.write(
        `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${jsonClientCodec.subprotocol}\r\n\r\n`,
      );
      socket.write(joinCommands(channels, target.token));
    });
  },
};
