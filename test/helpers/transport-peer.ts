// The client interface of the transport contract suite (test/transport-contract.test.ts): one peer
// per transport, all seen the same way. Drivers (transport-drivers.ts) fill it from their wire.
import type { SwitchboardServer } from '@switchboard/server';
import type { StreamPosition } from '@switchboard/wire';

/** A protocol command as the JSON codec carries it. */
export interface Command {
  id?: number;
  method: string;
  params?: Record<string, unknown>;
}

/**
 * One server message as the client got it: `text` is the message's own bytes as they
 * came (a WebSocket text frame, an NDJSON line, an SSE `data` field, a poll frame's
 * `data`), `msg` the parsed message. Closes are normalized to `{close: {code, reason}}`
 * and uni SSE's named events to the push they carry.
 */
export interface ServerMessage {
  text: string;
  msg: Record<string, any>;
}

/** What a connect gave: the reply's result (uni SSE: the `connected` event). */
export interface Connected {
  client: string;
  node: string;
  ping?: number;
  session?: string;
  subs: Record<string, Record<string, any>>;
}

export interface OpenOptions {
  /** Channels subscribed in the connect (uni SSE: the `channel` parameters, and `since` as a Last-Event-ID). */
  subs?: Record<string, { since?: StreamPosition }>;
  /** A connection JWT (connect's `token`; uni SSE: `?token=`). */
  token?: string;
}

/** What a driver can do on its transport; a case that needs more is listed as not applicable. */
export interface Capabilities {
  /** The client can send protocol commands (all but uni SSE). */
  commands: boolean;
  /** Upstream is numbered HTTP batches (`seq`) that may be in flight together and resent. */
  upstreamBatches: boolean;
  /** The connect result carries `ping` (uni SSE's `connected` event does not). */
  connectPing: boolean;
  /**
   * A stopped client is found out only once the kernel's buffers are full (uni SSE: a keepalive counts once the kernel
   * took it).
   */
  stallNeedsTraffic: boolean;
}

export type Closed = { code: number; reason: string };

/** One client connection of any transport. */
export interface Peer {
  readonly transport: string;
  readonly connected: Connected;
  /** Every server message after the connect reply, in order. */
  readonly messages: ServerMessage[];
  /** The connection's end, as the client saw it. */
  readonly closed: Promise<Closed>;
  /** Sends one message (a command or a list of them). HTTP transports: one upstream POST, resolved with its answer. */
  send(commands: Command | Command[]): Promise<unknown>;
  /**
   * Sends `commands` as fast as the transport allows: all at once on a WebSocket or in memory; over
   * HTTP as several batches in flight together, then one of them resent with its `seq`, whose
   * outcome is returned (it must be `duplicate`).
   */
  sendAll(commands: Command[]): Promise<{ resentOutcome?: string }>;
  /** A command and its reply's result (rejects on a reply error). */
  request(method: string, params?: Record<string, unknown>): Promise<any>;
  /** The next message at or after the read cursor that matches, waiting for it; moves the cursor past it. */
  next(match?: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  /** Waits until `check` holds over all messages. */
  until(check: (messages: ServerMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** The client stops reading (the server's writes pile up). */
  stopReading(): void;
  resumeReading(): void;
  /** A dead client: answers no keepalive and reads nothing. */
  stopAnswering(): void;
  close(): Promise<void>;
}

export interface Publication {
  offset: number;
  epoch: string;
  data: unknown;
  skipped?: number;
}

/** The publications of `channel` a peer got: recovered ones from its connect reply, then pushes. */
export function publicationsOf(peer: Peer, channel: string): Publication[] {
  const recovered = (peer.connected.subs[channel]?.publications ?? []) as Publication[];
  const pushed = peer.messages
    .filter((m) => m.msg.push === 'publication' && m.msg.channel === channel)
    .map((m) => m.msg.pub as Publication);
  return [...recovered, ...pushed];
}

/** A running server, as the drivers reach it. */
export interface Target {
  server: SwitchboardServer;
  /** `http://127.0.0.1:port`: WebSocket, HTTP transports, API, metrics. */
  base: string;
  /** The same server over TLS with HTTP/2 (RFC 8441), when started with `h2`. */
  h2?: { url: string; ca: Buffer };
  close(): Promise<void>;
}

/** A transport's client side: opens peers on a target. */
export interface Driver {
  /** The server's `transport` label for it. */
  readonly name: string;
  readonly caps: Capabilities;
  /** Needs the target's HTTP/2 listener. */
  readonly needsH2?: boolean;
  open(target: Target, options?: OpenOptions): Promise<Peer>;
}

/** The connect command of a peer. */
export const connectCommand = (options: OpenOptions): Command => ({
  id: 1,
  method: 'connect',
  params: { ...(options.token ? { token: options.token } : {}), ...(options.subs ? { subs: options.subs } : {}) },
});

/**
 * The shared half of every driver's peer: the message log, the read cursor, the close,
 * and commands with ids. A driver supplies the wire: sending, reading control, closing.
 */
export abstract class PeerBase implements Peer {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<Closed>;
  connected!: Connected;
  protected nextId = 2;
  protected isClosed = false;
  private cursor = 0;
  private waiters = new Set<() => void>();
  private resolveClosed!: (c: Closed) => void;
  /** Replies (connect included) by id, kept apart from `messages` until the connect is done. */
  protected connectReply: Promise<ServerMessage>;
  private resolveConnect!: (m: ServerMessage) => void;
  private rejectConnect!: (e: Error) => void;
  private connecting = true;

  constructor(readonly transport: string) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.connectReply = new Promise((resolve, reject) => {
      this.resolveConnect = resolve;
      this.rejectConnect = reject;
    });
    this.connectReply.catch(() => {});
  }

  abstract send(commands: Command | Command[]): Promise<unknown>;
  abstract sendAll(commands: Command[]): Promise<{ resentOutcome?: string }>;
  abstract stopReading(): void;
  abstract resumeReading(): void;
  abstract stopAnswering(): void;
  abstract close(): Promise<void>;

  /** A message arrived (its own text); the connect reply (id 1) is taken apart. */
  protected deliver(text: string, msg: Record<string, any> = JSON.parse(text)): void {
    if (this.connecting && msg.id === 1) {
      this.connecting = false;
      if (msg.error) this.rejectConnect(new Error(`connect refused: ${JSON.stringify(msg.error)}`));
      else this.resolveConnect({ text, msg });
      return;
    }
    if (msg.close) this.end(msg.close.code, msg.close.reason);
    this.messages.push({ text, msg });
    this.wake();
  }

  /** The connection ended (a close frame, or the transport went away: 1006). */
  protected end(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.connecting) this.rejectConnect(new Error(`closed during connect: ${code} ${reason}`));
    this.resolveClosed({ code, reason });
    this.wake();
  }

  /** Waits for the connect reply; sets `connected`. */
  async awaitConnect(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`${this.transport}: no connect reply in ${timeoutMs} ms`)),
          timeoutMs,
        )),
    );
    try {
      this.connected = (await Promise.race([this.connectReply, timeout])).msg.result as Connected;
    } finally {
      clearTimeout(timer);
    }
  }

  async request(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    await this.send({ id, method, params });
    let reply: ServerMessage | undefined;
    await this.until((ms) => (reply = ms.find((m) => m.msg.id === id)) !== undefined, `reply to ${method} #${id}`);
    if (reply!.msg.error) throw new Error(`${method}: reply error ${JSON.stringify(reply!.msg.error)}`);
    return reply!.msg.result;
  }

  /** Allocates ids for commands that have none (not `send`). */
  protected withIds(commands: Command[]): Command[] {
    return commands.map((c) => (c.id === undefined && c.method !== 'send' ? { ...c, id: this.nextId++ } : c));
  }

  async next(match: (m: ServerMessage) => boolean = () => true, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.messages.length; i++) {
        if (match(this.messages[i])) {
          this.cursor = i + 1;
          return this.messages[i];
        }
      }
      this.cursor = this.messages.length;
      if (Date.now() > deadline)
        throw new Error(`${this.transport}: no matching message in ${timeoutMs} ms; last: ${this.tail()}`);
      await this.wait(deadline);
    }
  }

  async until(check: (messages: ServerMessage[]) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.messages)) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.transport}: timed out waiting for ${what}; ${this.messages.length} messages, last: ${this.tail()}`,
        );
      await this.wait(deadline);
    }
  }

  private tail(): string {
    return this.messages
      .slice(-3)
      .map((m) => m.text.slice(0, 160))
      .join(' | ');
  }

  private wait(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, Math.min(100, deadline - Date.now())));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
