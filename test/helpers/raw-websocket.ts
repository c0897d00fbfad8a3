// A minimal RFC 6455 client over any Duplex (a TCP socket, an HTTP/2 extended-CONNECT stream), written
// for the transport contract suite: it shows every text frame exactly as it came, answers pings only
// while told to, and stops reading when asked, so the server's backpressure and heartbeats can be seen.
// It is deliberately independent of @switchboard/websocket: the suite checks the server, not our client.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

/** Opcodes of RFC 6455 §5.2. */
const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

export interface RawWebSocketEvents {
  /** A whole text (or binary, as latin1) message, as sent. */
  message(text: string): void;
  /** The connection is gone: the server's close code and reason, or 1006 when no close frame came. */
  closed(code: number, reason: string): void;
}

/** A masked client frame (§5.3), FIN set. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const key = randomBytes(4);
  const len = payload.length;
  let header: Buffer;
  if (len < 126) header = Buffer.from([0x80 | opcode, 0x80 | len]);
  else if (len < 65536) header = Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([header, key, body]);
}

/**
 * The client end of an open WebSocket: parses the server's (unmasked) frames,
 * joins fragments, answers pings with pongs while `answering`, and reports the
 * close. `pause()`/`resume()` stop and restart reading the transport.
 */
export class RawWebSocket {
  answering = true;
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closeInfo: { code: number; reason: string } | undefined;
  private ended = false;

  constructor(
    readonly stream: Duplex,
    private readonly events: RawWebSocketEvents,
    head: Buffer = Buffer.alloc(0),
  ) {
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => {});
    stream.on('close', () => this.end());
    stream.on('end', () => this.end());
    if (head.length) this.receive(head);
  }

  sendText(text: string): void {
    this.write(clientFrame(Op.Text, Buffer.from(text)));
  }

  /** Several text messages in one write to the transport: as fast as a client can send. */
  sendTexts(texts: readonly string[]): void {
    this.write(Buffer.concat(texts.map((t) => clientFrame(Op.Text, Buffer.from(t)))));
  }

  close(code = 1000): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.write(clientFrame(Op.Close, payload));
    setTimeout(() => this.stream.destroy(), 200).unref();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  private write(bytes: Buffer): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.write(bytes);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const info = this.closeInfo ?? { code: 1006, reason: '' };
    this.events.closed(info.code, info.reason);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0];
      const b1 = this.buffer[1];
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (b1 & 0x80) throw new Error('the server masked a frame (RFC 6455 §5.1)');
      if (this.buffer.length < at + len) return;
      const payload = this.buffer.subarray(at, at + len);
      this.buffer = this.buffer.subarray(at + len);
      this.frame(b0 & 0x0f, (b0 & 0x80) !== 0, Buffer.from(payload));
    }
  }

  private frame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === Op.Ping) {
      if (this.answering) this.write(clientFrame(Op.Pong, payload));
      return;
    }
    if (opcode === Op.Pong) return;
    if (opcode === Op.Close) {
      this.closeInfo =
        payload.length >= 2
          ? { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() }
          : { code: 1005, reason: '' };
      // Echo the close (§5.5.1); the server closes the transport first (§7.1.1).
      this.write(clientFrame(Op.Close, payload.subarray(0, 2)));
      return;
    }
    this.fragments.push(payload);
    if (!fin) return;
    const whole = Buffer.concat(this.fragments);
    this.fragments = [];
    this.events.message(whole.toString(opcode === Op.Binary ? 'latin1' : 'utf8'));
  }
}
