import type { Codec } from '@switchboard/wire';
import type { EmulatedSession } from './emulated-session.js';
import { pendingBytes, streamHeaders, writeInTurn, type StreamResponse } from './response-stream.js';
import { DrainWaiters } from './drain-waiters.js';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

const UNBOUND: TransportListener = { onMessage() {}, onAlive() {}, onClose() {} };

/** How the downstream frames each server message. */
export type StreamFormat = 'ndjson' | 'sse';

const framedShared: Record<StreamFormat, WeakMap<SharedMessage, Buffer>> = { ndjson: new WeakMap(), sse: new WeakMap() };
const PING = Buffer.from('{"push":"ping"}');

/**
 * The downstream of the bidirectional emulation: one long-lived response that
 * carries every server message (replies and pushes, JSON), as
 * newline-delimited JSON for a `fetch` body (`ndjson`) or as SSE `data:` events
 * (`sse`). Upstream commands come as POSTs (any node; http-transports.ts). The
 * server ends the stream with a last frame `{"close":{"code","reason"}}`.
 * Keepalive: a `ping` push every ping interval; the client answers with any
 * upstream request (the SDK posts a `ping` command), so a dead client misses
 * the heartbeat deadline and is dropped (3012).
 */
export class StreamTransport implements Transport, EmulatedSession {
  readonly name: string;
  private listener = UNBOUND;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    private readonly res: StreamResponse,
    readonly codec: Codec,
    readonly remoteAddress: string | undefined,
    private readonly format: StreamFormat,
    readonly sessionId: string,
    readonly sessionToken: string,
  ) {
    this.name = format === 'sse' ? 'sse-emulation' : 'http-stream';
    res.writeHead(200, streamHeaders(format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson'));
    if (format === 'sse') res.write(': stream open\n\n');
    res.once('close', () => {
      this.closed = true;
      this.listener.onClose(1001, 'client went away');
    });
  }

  bind(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Runs commands that came upstream (the registry applies them in order). */
  receive(bytes: Uint8Array): void {
    if (!this.closed) this.listener.onMessage(bytes);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get bufferedAmount(): number {
    return pendingBytes(this.res);
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) writeInTurn(this.res, this.frame(bytes));
  }

  writeShared(message: SharedMessage): void {
    if (this.closed) return;
    const cache = framedShared[this.format];
    let framed = cache.get(message);
    if (!framed) cache.set(message, (framed = this.frame(message.bytes)));
    writeInTurn(this.res, framed);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end(this.frame(Buffer.from(JSON.stringify({ close: { code, reason } }))).toString());
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    this.write(PING);
  }

  onceDrained(listener: () => void): void {
    if (this.drained.add(listener)) this.res.once('drain', () => this.drained.release());
  }

  private frame(bytes: Uint8Array): Buffer {
    return this.format === 'sse' ? Buffer.concat([DATA, bytes, END2]) : Buffer.concat([bytes, END1]);
  }
}
const DATA = Buffer.from('data: ');
const END1 = Buffer.from('\n');
const END2 = Buffer.from('\n\n');
