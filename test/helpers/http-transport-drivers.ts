// Drivers of the sticky-free HTTP transports for the transport contract suite: HTTP streaming, SSE
// emulation, long-polling and unidirectional SSE, each over the endpoints of docs/transports.md only.
// Long-polling measures a client's backlog as its unacknowledged outbox, not a socket's buffer: a
// client that stops polling is the one that stops reading.
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { encodeEventId } from '@switchboard/server';
import type { StreamPosition } from '@switchboard/wire';
import {
  connectCommand,
  PeerBase,
  type Capabilities,
  type Command,
  type Driver,
  type OpenOptions,
  type Peer,
  type Target,
} from './transport-peer.js';

const EMULATED: Capabilities = { commands: true, upstreamBatches: true, connectPing: true, stallNeedsTraffic: false };

/** POSTs JSON: the status and the parsed body (or its text). */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

// HTTP streaming and SSE emulation: one long response down (a raw http.request, so pausing it
// is TCP backpressure), upstream POSTs with `seq`.

/** A long-lived response read chunk by chunk; pausing it stops the socket. */
async function openResponse(
  url: string,
  init: { method: string; body?: string; headers?: Record<string, string> },
): Promise<IncomingMessage> {
  const req = httpRequest(url, { method: init.method, agent: false, headers: init.headers });
  req.end(init.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  return res;
}

/** Splits a response body into lines, keeping the order of bytes. */
function onLines(res: IncomingMessage, line: (l: string) => void, end: () => void): void {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  res.on('data', (chunk: Buffer) => {
    buffer += decoder.write(chunk);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      line(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  res.on('error', () => {});
  res.on('close', end);
  res.on('end', end);
}

/** The upstream of the emulated transports: numbered POSTs, and ping answers while answering. */
class Upstream {
  seq = 0;
  answering = true;
  private readonly sent = new Map<number, unknown>();
  constructor(
    private readonly base: string,
    readonly node: string,
    readonly session: string,
  ) {}
  async post(data: unknown, seq = ++this.seq): Promise<{ status: number; body: any }> {
    this.sent.set(seq, data);
    return postJson(`${this.base}/connection/emulation`, { node: this.node, session: this.session, seq, data });
  }
  resend(seq: number): Promise<{ status: number; body: any }> {
    return this.post(this.sent.get(seq), seq);
  }
}

/** What the emulated transports share: upstream batches, and ping answers. */
abstract class EmulatedPeer extends PeerBase {
  upstream!: Upstream;
  async send(commands: Command | Command[]): Promise<unknown> {
    const answer = await this.upstream.post(commands);
    if (answer.status !== 200)
      throw new Error(`upstream POST answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
  /** Five batches of commands in flight together, then the second one resent with its seq. */
  async sendAll(commands: Command[]): Promise<{ resentOutcome?: string }> {
    const all = this.withIds(commands);
    const size = Math.ceil(all.length / 5);
    const batches = Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.slice(i * size, (i + 1) * size));
    const first = this.upstream.seq + 1;
    const answers = await Promise.all(batches.map((b) => this.upstream.post(b)));
    for (const a of answers)
      if (a.status !== 200) throw new Error(`upstream POST answered ${a.status} ${JSON.stringify(a.body)}`);
    const resent = await this.upstream.resend(first + 1);
    return { resentOutcome: resent.body.outcome };
  }
  /** Answers the server's `ping` push with a `ping` command, as the SDK does. */
  protected answerPing(msg: Record<string, any>): void {
    if (msg.push === 'ping' && this.upstream?.answering && !this.isClosed)
      void this.upstream.post({ id: this.nextId++, method: 'ping', params: {} }).catch(() => {});
  }
}

class StreamPeer extends EmulatedPeer {
  res!: IncomingMessage;
  message(text: string): void {
    const msg = JSON.parse(text);
    this.deliver(text, msg);
    this.answerPing(msg);
  }
  ended(): void {
    this.end(1006, 'stream ended without a close frame');
  }
  stopReading(): void {
    this.res.pause();
  }
  resumeReading(): void {
    this.upstream.answering = true;
    this.res.resume();
  }
  stopAnswering(): void {
    this.upstream.answering = false;
    this.res.pause();
  }
  async close(): Promise<void> {
    this.res.destroy();
    this.end(1000, 'client closed');
  }
}

async function openStreamPeer(target: Target, options: OpenOptions, format: 'ndjson' | 'sse'): Promise<Peer> {
  const peer = new StreamPeer(format === 'sse' ? 'sse-emulation' : 'http-stream');
  const connect = JSON.stringify(connectCommand(options));
  const res =
    format === 'sse'
      ? await openResponse(`${target.base}/connection/stream?format=sse&connect=${encodeURIComponent(connect)}`, {
          method: 'GET',
        })
      : await openResponse(`${target.base}/connection/stream`, {
          method: 'POST',
          body: connect,
          headers: { 'content-type': 'application/json' },
        });
  if (res.statusCode !== 200) throw new Error(`${peer.transport} refused: ${res.statusCode}`);
  peer.res = res;
  let data: string | undefined;
  onLines(
    res,
    format === 'ndjson'
      ? (line) => line && peer.message(line)
      : (line) => {
          // SSE framing (HTML §9.2.6), enough for our stream: `data:` lines, an empty line ends the event.
          if (line === '') {
            if (data !== undefined) peer.message(data);
            data = undefined;
          } else if (line.startsWith('data:')) {
            const value = line.slice(5).replace(/^ /, '');
            data = data === undefined ? value : `${data}\n${value}`;
          }
        },
    () => peer.ended(),
  );
  await peer.awaitConnect();
  peer.upstream = new Upstream(target.base, peer.connected.node, peer.connected.session!);
  return peer;
}

export const httpStream: Driver = {
  name: 'http-stream',
  caps: EMULATED,
  open: (t, o = {}) => openStreamPeer(t, o, 'ndjson'),
};
export const sseEmulation: Driver = {
  name: 'sse-emulation',
  caps: EMULATED,
  open: (t, o = {}) => openStreamPeer(t, o, 'sse'),
};

// Long-polling: polls with a cursor; a stopped client stops polling (and acknowledges nothing).

const POLL_WAIT_MS = 250;

class PollPeer extends EmulatedPeer {
  /** The last poll frame read (the long-poll cursor). */
  private read = 0;
  private running = true;
  private resumed: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly base: string,
    readonly node: string,
    readonly sessionToken: string,
  ) {
    super('long-poll');
  }

  /** The poll loop: each answer's frames in order, cursor = the last seq read. */
  async run(): Promise<void> {
    while (this.running && !this.isClosed) {
      if (this.stopped) {
        await new Promise<void>((resolve) => (this.resumed = resolve));
        continue;
      }
      let answer: { status: number; body: any };
      try {
        answer = await postJson(`${this.base}/connection/poll`, {
          node: this.node,
          session: this.sessionToken,
          cursor: this.read,
          waitMs: POLL_WAIT_MS,
        });
      } catch {
        if (!this.running) return;
        this.end(1006, 'poll failed');
        return;
      }
      // An answer that came after the client stopped is not read: the next poll asks again from the same cursor.
      if (this.stopped || !this.running) continue;
      if (answer.status !== 200) {
        this.end(1006, `poll answered ${answer.status} ${JSON.stringify(answer.body)}`);
        return;
      }
      for (const f of answer.body.frames as { seq: number; data: string }[]) {
        if (f.seq !== this.read + 1) throw new Error(`poll frames out of order: ${f.seq} after ${this.read}`);
        this.read = f.seq;
        this.deliver(f.data);
      }
      if (answer.body.closed && !this.isClosed) this.end(1006, 'closed without a close frame');
    }
  }

  stopReading(): void {
    this.stopped = true;
  }
  resumeReading(): void {
    this.upstream.answering = true;
    this.stopped = false;
    this.resumed?.();
  }
  stopAnswering(): void {
    this.upstream.answering = false;
    this.stopped = true;
  }
  async close(): Promise<void> {
    // A long-poll client leaves by not polling again; the server expires the session (heartbeat).
    this.running = false;
    this.resumed?.();
    this.end(1000, 'client closed');
  }
}

export const longPoll: Driver = {
  name: 'long-poll',
  caps: EMULATED,
  async open(target, options = {}) {
    const opened = await postJson(`${target.base}/connection/poll/open`, connectCommand(options));
    if (opened.status !== 200) throw new Error(`poll/open answered ${opened.status} ${JSON.stringify(opened.body)}`);
    const peer = new PollPeer(target.base, opened.body.node, opened.body.session);
    peer.upstream = new Upstream(target.base, opened.body.node, opened.body.session);
    void peer.run();
    await peer.awaitConnect();
    return peer;
  },
};

// Unidirectional SSE: channels in the URL, `since` as a Last-Event-ID; no upstream at all.

class SsePeer extends PeerBase {
  res!: IncomingMessage;
  lastEventId: string | undefined;
  private event: { name?: string; data?: string } = {};

  line(line: string): void {
    if (line === '') {
      const { name = 'message', data } = this.event;
      this.event = {};
      if (data === undefined) return;
      if (name === 'connected') this.deliver(data, { id: 1, result: JSON.parse(data) });
      else if (name === 'disconnect') this.deliver(data, { close: JSON.parse(data) });
      else if (name === 'resync') this.deliver(data, { event: 'resync', ...JSON.parse(data) });
      else this.deliver(data);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.event.data = this.event.data === undefined ? value : `${this.event.data}\n${value}`;
    else if (field === 'event') this.event.name = value;
    else if (field === 'id') this.lastEventId = value;
  }
  ended(): void {
    this.end(1006, 'stream ended without a disconnect event');
  }
  async send(): Promise<unknown> {
    throw new Error('uni SSE has no upstream');
  }
  async sendAll(): Promise<{ resentOutcome?: string }> {
    throw new Error('uni SSE has no upstream');
  }
  stopReading(): void {
    this.res.pause();
  }
  resumeReading(): void {
    this.res.resume();
  }
  stopAnswering(): void {
    this.res.pause();
  }
  async close(): Promise<void> {
    this.res.destroy();
    this.end(1000, 'client closed');
  }
}

/** The channel of a uni SSE peer opened without `subs`. */
export const SSE_IDLE_CHANNEL = 'plain:idle';

export const sse: Driver = {
  name: 'sse',
  caps: { commands: false, upstreamBatches: false, connectPing: false, stallNeedsTraffic: true },
  async open(target, options = {}) {
    const query = new URLSearchParams();
    const since = new Map<string, StreamPosition>();
    // The endpoint needs a channel: a peer with none listens on an idle one.
    for (const [channel, sub] of Object.entries(options.subs ?? { [SSE_IDLE_CHANNEL]: {} })) {
      query.append('channel', channel);
      if (sub.since) since.set(channel, sub.since);
    }
    if (options.token) query.set('token', options.token);
    const headers: Record<string, string> = since.size ? { 'last-event-id': encodeEventId(since) } : {};
    const res = await openResponse(`${target.base}/connection/sse?${query}`, { method: 'GET', headers });
    if (res.statusCode !== 200) throw new Error(`uni SSE refused: ${res.statusCode}`);
    const peer = new SsePeer('sse');
    peer.res = res;
    onLines(
      res,
      (l) => peer.line(l),
      () => peer.ended(),
    );
    await peer.awaitConnect();
    return peer;
  },
};
