import {
  DisconnectCode,
  ReplyErrorCode,
  type ConnectResult,
  type JsonCodec,
  type PublicationPush,
  type Push,
  type Reply,
  type ReplyError,
  type StreamPosition,
  type SubscribeResult,
} from '@switchboard/wire';
import { DrainWaiters } from '../drain-waiters.js';
import {
  UNBOUND,
  type FrameCache,
  type SessionInbound,
  type SharedMessage,
  type Transport,
  type TransportInfo,
} from '../transport.js';
import { encodeEventId } from './event-id.js';
import {
  onceWritten,
  pendingBytes,
  statusForEarlyClose,
  streamHeaders,
  writeInTurn,
  writeKeepalive,
  type StreamResponse,
} from './response-stream.js';

/** How long EventSource waits before reconnecting (ms), sent as `retry:`. */
const SSE_RETRY_MS = 1000;

const DATA = Buffer.from('data: ');
const BLANK_LINE = Buffer.from('\n\n');
/** `data: <json>\n\n`: JSON text has no raw newline, so one data line carries it. */
const dataEvent = (bytes: Uint8Array) => Buffer.concat([DATA, bytes, BLANK_LINE]);
/** A shared message's data event: the same bytes for every SSE session; each prefixes its own `id:` line. */
const DATA_EVENTS: FrameCache<Buffer> = { frame: (message) => dataEvent(message.bytes) };

/**
 * Unidirectional SSE for a plain `EventSource` (no SDK). The client cannot
 * send, so its session runs in the unidirectional mode: the endpoint builds
 * its `connect` from the request (the URL's channels, the `Last-Event-ID`'s
 * positions) and this transport frames what the session sends as events:
 * - the connect reply as `event: connected` (client, node, per-channel
 *   results), with `event: resync` (`{"channels":[…]}`) for channels whose
 *   `Last-Event-ID` could not be filled from history (their missed
 *   publications are gone: the page must reload their state; nothing of them
 *   is replayed, all or nothing), then the recovered publications;
 * - each publication as an unnamed event (so `onmessage` gets it), `data` the
 *   publication push, `id` the position of every channel of the stream
 *   (event-id.ts), which the browser sends back as `Last-Event-ID`;
 * - `event: join|leave|presence|unsubscribe|message|subscribe` for the other pushes,
 *   `event: disconnect` (`{code, reason}`) before the server ends the stream;
 * - a `: ping` comment every ping interval, keeping proxies' idle timers reset.
 * The HTTP head waits for the connect reply, so a refused connect is an HTTP
 * error (401…), which stops EventSource from retrying.
 */
export class SseTransport implements Transport, TransportInfo {
  readonly name = 'sse';
  readonly unidirectional = true;
  private inbound: SessionInbound = UNBOUND;
  private readonly positions = new Map<string, StreamPosition>();
  private open = false;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    private readonly res: StreamResponse,
    readonly protocol: JsonCodec,
    readonly remoteAddress: string | undefined,
    /** Where the stream resumes (its `Last-Event-ID`), to number replayed publications from. */
    private readonly since: ReadonlyMap<string, StreamPosition> | undefined,
  ) {
    res.once('close', () => {
      this.closed = true;
      this.inbound.closed(1001, 'client went away');
    });
  }

  get info(): TransportInfo {
    return this;
  }

  bind(inbound: SessionInbound): void {
    this.inbound = inbound;
  }

  get bufferedAmount(): number {
    return pendingBytes(this.res);
  }

  write(message: Reply | Push): void {
    if (this.closed) return;
    if ('push' in message) this.event(message, dataEvent(this.protocol.encodePush(message)));
    else this.connected(message);
  }

  writeShared(message: SharedMessage): void {
    if (!this.closed && this.open) this.event(message.push, message.framed(DATA_EVENTS));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.res.headersSent) {
      const body = JSON.stringify({ error: { code, message: reason } });
      this.res.writeHead(statusForEarlyClose(code), {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      this.res.end(body);
      return;
    }
    this.res.end(`event: disconnect\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    if (this.open && !this.closed) writeKeepalive(this.res, ': ping\n\n', () => this.inbound.alive());
  }

  onceDrained(listener: () => void): void {
    if (this.drained.add(listener)) onceWritten(this.res, () => this.drained.release());
  }

  /**
   * One write per event: a publication after the id line (this stream's positions), another push
   * as a named event; `ping` and `refresh` pushes mean nothing to an EventSource.
   */
  private event(push: Push, data: Buffer): void {
    if (push.push === 'publication') {
      this.positions.set(push.channel, { offset: push.pub.offset, epoch: push.pub.epoch });
      writeInTurn(this.res, Buffer.concat([Buffer.from(`id: ${encodeEventId(this.positions)}\n`), data]));
    } else if (push.push !== 'ping' && push.push !== 'refresh') {
      writeInTurn(this.res, Buffer.concat([Buffer.from(`event: ${push.push}\n`), data]));
    }
  }

  /**
   * The connect reply (the only reply a unidirectional session gets): the HTTP head, then the stream's first events.
   */
  private connected(reply: Reply): void {
    if ('error' in reply)
      return this.close(
        reply.error.code === ReplyErrorCode.Unauthorized ? DisconnectCode.Unauthorized : DisconnectCode.BadRequest,
        reply.error.message,
      );
    const result = reply.result as ConnectResult;
    this.res.writeHead(200, streamHeaders('text/event-stream; charset=utf-8'));
    this.open = true;
    const subs: Record<string, { recovered?: boolean; error?: ReplyError }> = {};
    const resync: string[] = [];
    const replay: [string, PublicationPush][] = [];
    for (const [channel, sub] of Object.entries(result.subs)) {
      if ('error' in sub) {
        subs[channel] = { error: sub.error };
        continue;
      }
      const s = sub as SubscribeResult;
      subs[channel] = s.recovered === undefined ? {} : { recovered: s.recovered };
      if (s.recovered === false) resync.push(channel);
      if (s.position) this.positions.set(channel, s.position);
      if (s.recovered && s.publications) {
        // Replayed publications come before live ones; start from the position we resumed at.
        const from = this.since?.get(channel);
        if (from) this.positions.set(channel, from);
        for (const p of s.publications) replay.push([channel, p]);
      }
    }
    let head =
      `retry: ${SSE_RETRY_MS}\nevent: connected\n` +
      `data: ${JSON.stringify({ client: result.client, node: result.node, subs })}\n\n`;
    if (resync.length)
      head += `id: ${encodeEventId(this.positions)}\nevent: resync\ndata: ${JSON.stringify({ channels: resync })}\n\n`;
    for (const [channel, pub] of replay) {
      this.positions.set(channel, { offset: pub.offset, epoch: pub.epoch });
      head +=
        `id: ${encodeEventId(this.positions)}\ndata: ${JSON.stringify({ push: 'publication', channel, pub })}\n` + `\n`;
    }
    this.res.write(head);
  }
}
