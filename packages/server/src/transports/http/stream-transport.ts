import type { JsonCodec, Push, Reply } from '@switchboard/wire';
import { encodeMessage, type FrameCache, type SharedMessage } from '../transport.js';
import { EmulatedTransport } from './emulated-transport.js';
import { onceWritten, pendingBytes, streamHeaders, writeInTurn, type StreamResponse } from './response-stream.js';

/** How the downstream frames each server message. */
export type StreamFormat = 'ndjson' | 'sse';

const DATA = Buffer.from('data: ');
const NEWLINE = Buffer.from('\n');
const BLANK_LINE = Buffer.from('\n\n');
const frameAs: Record<StreamFormat, (bytes: Uint8Array) => Buffer> = {
  ndjson: (bytes) => Buffer.concat([bytes, NEWLINE]),
  sse: (bytes) => Buffer.concat([DATA, bytes, BLANK_LINE]),
};
/** Each format frames a shared message once for all its sessions. */
const FRAMES: Record<StreamFormat, FrameCache<Buffer>> = {
  ndjson: { frame: (message) => frameAs.ndjson(message.bytes) },
  sse: { frame: (message) => frameAs.sse(message.bytes) },
};

/**
 * The downstream of the bidirectional emulation: one long-lived response that
 * carries every server message (replies and pushes, JSON), as
 * newline-delimited JSON for a `fetch` body (`ndjson`) or as SSE `data:` events
 * (`sse`). Upstream messages come as POSTs to any node (http-endpoints.ts),
 * parsed there and applied here in order (`receive`). The server ends the
 * stream with a last frame `{"close":{"code","reason"}}`.
 * Keepalive: a `ping` push every ping interval; the client answers with any
 * upstream request (the SDK posts a `ping` command), so a dead client misses
 * the heartbeat deadline and is dropped (3012).
 */
export class StreamTransport extends EmulatedTransport {
  readonly name: string;

  constructor(
    private readonly res: StreamResponse,
    protocol: JsonCodec,
    remoteAddress: string | undefined,
    private readonly format: StreamFormat,
    sessionId: string,
    sessionToken: string,
  ) {
    super(protocol, remoteAddress, sessionId, sessionToken);
    this.name = format === 'sse' ? 'sse-emulation' : 'http-stream';
    res.writeHead(200, streamHeaders(format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson'));
    if (format === 'sse') res.write(': stream open\n\n');
    res.once('close', () => {
      this.closed = true;
      this.inbound.closed(1001, 'client went away');
    });
  }

  get bufferedAmount(): number {
    return pendingBytes(this.res);
  }

  write(message: Reply | Push): void {
    if (!this.closed) writeInTurn(this.res, frameAs[this.format](encodeMessage(this.protocol, message)));
  }

  writeShared(message: SharedMessage): void {
    if (!this.closed) writeInTurn(this.res, message.framed(FRAMES[this.format]));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end(frameAs[this.format](Buffer.from(JSON.stringify({ close: { code, reason } }))).toString());
  }

  ping(): void {
    this.write(PING);
  }

  onceDrained(listener: () => void): void {
    if (this.drained.add(listener)) onceWritten(this.res, () => this.drained.release());
  }
}
const PING: Push = { push: 'ping' };
