import type { Codec, ConnectResult, Push, Reply, ServerMessage, StreamPosition, SubscribeResult, ReplyError, PublicationPush } from '@switchboard/wire';
import { encodeEventId } from './event-id.js';
import { pendingBytes, statusForEarlyClose, streamHeaders, writeInTurn, writeKeepalive, type StreamResponse } from './response-stream.js';
import { DrainWaiters } from './drain-waiters.js';
import type { SharedMessage, Transport, TransportListener } from './transport.js';

const UNBOUND: TransportListener = { onMessage() {}, onAlive() {}, onClose() {} };

/** A shared publication as SSE needs it: parsed once per message for all SSE sessions. */
interface SsePublication {
  channel: string;
  offset: number;
  epoch: string;
  /** `data: <the push's JSON>\n\n`, the same bytes for every SSE session. */
  tail: Buffer;
}
const parsed = new WeakMap<SharedMessage, SsePublication | null>();

/** How long EventSource waits before reconnecting (ms), sent as `retry:`. */
export const SSE_RETRY_MS = 1000;

/**
 * Unidirectional SSE for a plain `EventSource` (no SDK): the server subscribes
 * the stream to the channels named in the URL and sends
 * - each publication as an unnamed event (so `onmessage` gets it), `data` the
 *   publication push `{"push":"publication","channel","pub":{offset,epoch,data}}`,
 *   `id` the position of every channel of the stream (event-id.ts), which the
 *   browser sends back as `Last-Event-ID` when it reconnects;
 * - `event: connected` first (client, node, per-channel results);
 * - `event: resync` (`{"channels":[…]}`) when a `Last-Event-ID` could not be
 *   filled from history: those channels' missed publications are gone, the page
 *   must reload their state (nothing of them is replayed: all or nothing);
 * - `event: join|leave|unsubscribe|message` for the other pushes,
 *   `event: disconnect` (`{code, reason}`) before the server ends the stream;
 * - a `: ping` comment every ping interval, keeping proxies' idle timers reset.
 * The HTTP head waits for the connect reply, so a refused connect is an HTTP
 * error (401…), which stops EventSource from retrying.
 */
export class SseTransport implements Transport {
  readonly name = 'sse';
  private listener = UNBOUND;
  private readonly positions = new Map<string, StreamPosition>();
  private open = false;
  private closed = false;
  private readonly drained = new DrainWaiters();

  constructor(
    private readonly res: StreamResponse,
    readonly codec: Codec,
    readonly remoteAddress: string | undefined,
    private readonly channels: readonly string[],
    private readonly since: ReadonlyMap<string, StreamPosition> | undefined,
  ) {
    res.once('close', () => {
      this.closed = true;
      this.listener.onClose(1001, 'client went away');
    });
  }

  bind(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Sends the connect command for the stream's channels (after `bind`). */
  start(): void {
    const subs = Object.fromEntries(this.channels.map((channel) => [channel, { since: this.since?.get(channel) }]));
    const connect = this.codec.encodeCommand({ id: 1, method: 'connect', params: { subs } });
    this.listener.onMessage(typeof connect === 'string' ? Buffer.from(connect) : connect);
  }

  get bufferedAmount(): number {
    return pendingBytes(this.res);
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const message: ServerMessage = this.codec.decodeMessage(bytes);
    if ('id' in message) return this.connected(message as Reply);
    this.pushed(message.push, message, bytes);
  }

  writeShared(message: SharedMessage): void {
    if (this.closed || !this.open) return;
    let pub = parsed.get(message);
    if (pub === undefined) {
      const push = this.codec.decodeMessage(message.bytes);
      pub = 'push' in push && push.push === 'publication' ? { channel: push.channel, offset: push.pub.offset, epoch: push.pub.epoch, tail: frameData(message.bytes) } : null;
      parsed.set(message, pub);
    }
    if (!pub) return this.write(message.bytes);
    this.positions.set(pub.channel, { offset: pub.offset, epoch: pub.epoch });
    // One write per event: the id line (this session's positions) before the shared data.
    writeInTurn(this.res, Buffer.concat([Buffer.from(`id: ${encodeEventId(this.positions)}\n`), pub.tail]));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.res.headersSent) {
      const body = JSON.stringify({ error: { code, message: reason } });
      this.res.writeHead(statusForEarlyClose(code), { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      this.res.end(body);
      return;
    }
    this.res.end(`event: disconnect\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  abort(code: number, reason: string): void {
    this.close(code, reason);
  }

  ping(): void {
    if (this.open && !this.closed) writeKeepalive(this.res, ': ping\n\n', () => this.listener.onAlive());
  }

  onceDrained(listener: () => void): void {
    if (this.drained.add(listener)) this.res.once('drain', () => this.drained.release());
  }

  private connected(reply: Reply): void {
    if ('error' in reply) return this.close(reply.error.code === 101 ? 3502 : 3002, reply.error.message);
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
    let head = `retry: ${SSE_RETRY_MS}\nevent: connected\ndata: ${JSON.stringify({ client: result.client, node: result.node, subs })}\n\n`;
    if (resync.length) head += `id: ${encodeEventId(this.positions)}\nevent: resync\ndata: ${JSON.stringify({ channels: resync })}\n\n`;
    for (const [channel, pub] of replay) {
      this.positions.set(channel, { offset: pub.offset, epoch: pub.epoch });
      head += `id: ${encodeEventId(this.positions)}\ndata: ${JSON.stringify({ push: 'publication', channel, pub })}\n\n`;
    }
    this.res.write(head);
  }

  private pushed(kind: Push['push'], push: Push, bytes: Uint8Array): void {
    if (kind === 'publication' && push.push === 'publication') {
      this.positions.set(push.channel, { offset: push.pub.offset, epoch: push.pub.epoch });
      writeInTurn(this.res, Buffer.concat([Buffer.from(`id: ${encodeEventId(this.positions)}\n`), frameData(bytes)]));
      return;
    }
    if (kind === 'ping' || kind === 'refresh') return;
    writeInTurn(this.res, Buffer.concat([Buffer.from(`event: ${kind}\n`), frameData(bytes)]));
  }
}

/** `data: <json>\n\n`: JSON text has no raw newline, so one data line carries it. */
function frameData(bytes: Uint8Array): Buffer {
  return Buffer.concat([DATA, bytes, END]);
}
const DATA = Buffer.from('data: ');
const END = Buffer.from('\n\n');
