import { WebSocket } from '@switchboard/websocket';
import {
  JsonBytes,
  JsonCodec,
  type Codec,
  type ConnectParams,
  type ConnectResult,
  type Push,
  type ReplyError,
  type RequestMethod,
  type ResultOf,
  type ServerMessage,
  type WireMessage,
} from '@switchboard/wire';

/** A reply error, as thrown by `TestClient.command`. */
export class TestReplyError extends Error {
  constructor(readonly error: ReplyError) {
    super(`reply error ${error.code}: ${error.message}`);
    this.name = 'TestReplyError';
  }
  get code(): number {
    return this.error.code;
  }
}

export interface TestClientOptions {
  /** The wire format: commands are encoded and messages decoded with it. @default new JsonCodec() */
  codec?: Codec;
  /** Subprotocol offered, to test what the server does with another one. @default codec.subprotocol */
  protocol?: string;
  /** How long `expect*` and `command` wait. @default 5000 */
  timeoutMs?: number;
}

type Waiter = { match: (push: Push) => boolean; resolve: (push: Push) => void };

/** How a TestClient reaches its server: a WebSocket (`TestClient.open`), or a memory transport (`ChannelTest`). */
export interface TestLink {
  send(message: WireMessage): void;
  close(code: number): void;
}

/** What a link reports to its TestClient. */
export interface TestLinkEvents {
  message(message: WireMessage): void;
  close(code: number, reason: string): void;
}

/**
 * A protocol-level client for tests: raw commands and replies, every push kept
 * in order, and `expectPush` / `expectPublication` to wait for one. It is not
 * the SDK (no reconnects, no dedupe): it shows exactly what the server sends.
 */
export class TestClient<L extends TestLink = TestLink> {
  /** Every push received, in order. */
  readonly pushes: Push[] = [];
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The link to the server (a `MemoryLink` can stop reading). */
  readonly link: L;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters: Waiter[] = [];
  private nextId = 1;
  private readonly timeoutMs: number;
  readonly codec: Codec;
  /** The result of the last successful `connect`. */
  connected: ConnectResult | undefined;

  /** A client over any link: `connect` builds the link and gets the events to report to. */
  constructor(connect: (events: TestLinkEvents) => L, options: TestClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.codec = options.codec ?? new JsonCodec();
    let ended!: (close: { code: number; reason: string }) => void;
    this.closed = new Promise((resolve) => (ended = resolve));
    this.link = connect({
      message: (message) => this.onMessage(message),
      close: (code, reason) => {
        for (const p of this.pending.values()) p.reject(new Error(`connection closed ${code} ${reason}`));
        this.pending.clear();
        ended({ code, reason });
      },
    });
  }

  /** Opens a WebSocket to `url` (the server's `/connection/websocket`). */
  static open(url: string, options: TestClientOptions = {}): Promise<TestClient<WebSocket>> {
    return new Promise((resolve, reject) => {
      const client = new TestClient((events) => {
        const ws = new WebSocket(url, options.protocol ?? (options.codec ?? new JsonCodec()).subprotocol);
        ws.binaryType = 'arraybuffer';
        ws.addEventListener('message', (event) => {
          const data = (event as MessageEvent<string | ArrayBuffer>).data;
          events.message(typeof data === 'string' ? data : new Uint8Array(data));
        });
        ws.addEventListener('close', (event) => events.close((event as CloseEvent).code, (event as CloseEvent).reason));
        ws.addEventListener('open', () => resolve(client));
        ws.addEventListener('error', () => reject(new Error(`cannot open ${url}`)));
        return ws;
      }, options);
    });
  }

  /** Sends `connect`; resolves with its result. */
  async connect(params: ConnectParams = {}): Promise<ConnectResult> {
    this.connected = await this.command('connect', params);
    return this.connected;
  }

  /**
   * Sends one command; resolves with its result or rejects with a TestReplyError. `params` is not checked here, so bad
   * ones can be sent.
   */
  command<M extends RequestMethod>(method: M, params: object = {}): Promise<ResultOf<M>> {
    const id = this.nextId++;
    // Waiting before sending: over a memory link the reply can come inside `raw`.
    const reply = new Promise<ResultOf<M>>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
    this.raw(this.codec.encodeCommand({ id, method, params } as never));
    return this.withTimeout(reply, `reply to ${method}`);
  }

  /** Fire-and-forget `send`. */
  send(data: unknown): void {
    this.raw(this.codec.encodeCommand({ method: 'send', params: { data } }));
  }

  /** Sends any text or bytes as one message (for bad-input tests): a string as a text frame, bytes as a binary one. */
  raw(message: WireMessage): void {
    this.link.send(message);
  }

  /** Waits for the first push (already received or to come) that matches. */
  expectPush(match: (push: Push) => boolean, what = 'push'): Promise<Push> {
    const seen = this.pushes.find(match);
    if (seen) return Promise.resolve(seen);
    return this.withTimeout(new Promise<Push>((resolve) => this.waiters.push({ match, resolve })), what);
  }

  /** Waits for a publication on `channel` (optionally with given data) and returns it. */
  async expectPublication(channel: string, data?: unknown): Promise<Extract<Push, { push: 'publication' }>> {
    const matches = (p: Push) =>
      p.push === 'publication' &&
      p.channel === channel &&
      (data === undefined || JsonBytes.stringify(p.pub.data) === JsonBytes.stringify(data));
    return (await this.expectPush(matches, `publication on ${channel}`)) as Extract<Push, { push: 'publication' }>;
  }

  /** The publications received on `channel`, in order. */
  publications(channel: string): Extract<Push, { push: 'publication' }>['pub'][] {
    return this.pushes.flatMap((p) => (p.push === 'publication' && p.channel === channel ? [p.pub] : []));
  }

  close(): Promise<{ code: number; reason: string }> {
    this.link.close(1000);
    return this.closed;
  }

  private onMessage(data: WireMessage): void {
    const message: ServerMessage = this.codec.decodeMessage(data);
    if ('id' in message) {
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('error' in message) p?.reject(new TestReplyError(message.error));
      else p?.resolve(message.result);
      return;
    }
    this.pushes.push(message);
    this.waiters = this.waiters.filter((w) => (w.match(message) ? (w.resolve(message), false) : true));
  }

  private withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${this.timeoutMs} ms waiting for ${what}`)),
        this.timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
