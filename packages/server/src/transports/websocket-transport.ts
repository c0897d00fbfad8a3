import { prepareFrame, type PreparedFrame } from '@switchboard/protocol';
import type { ServerWebSocket } from '@switchboard/websocket';
import type { Codec } from '@switchboard/wire';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

/** A session's transport over one of our WebSocket connections. */
export class WebSocketTransport implements Transport {
  readonly name = 'websocket';

  constructor(
    private readonly ws: ServerWebSocket,
    readonly codec: Codec,
  ) {}

  /** Forwards the socket's messages and close to the session. */
  bind(listener: TransportListener): void {
    this.ws.on('message', (data) => listener.onMessage(data));
    this.ws.on('pong', () => listener.onAlive());
    this.ws.on('close', (code, reason) => listener.onClose(code, reason));
  }

  get remoteAddress(): string | undefined {
    return this.ws.remoteAddress;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  write(bytes: Uint8Array): void {
    if (this.ws.readyState === 1) this.ws.send(bytes, { binary: this.codec.binary });
  }

  writeShared(message: SharedMessage): void {
    if (this.ws.readyState !== 1) return;
    // One frame for every WebSocket subscriber: the header is built once, the payload never copied.
    const frame = (message.framed ??= prepareFrame(message.bytes, this.codec.binary)) as PreparedFrame;
    this.ws.sendPrepared(frame);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === 1) this.ws.close(code, reason);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
    // After the close frame's flush (next tick): a peer that reads again learns the code.
    setImmediate(() => this.ws.terminate());
  }

  ping(): void {
    if (this.ws.readyState === 1) this.ws.ping();
  }

  onceDrained(listener: () => void): void {
    this.ws.once('drain', listener);
  }
}
