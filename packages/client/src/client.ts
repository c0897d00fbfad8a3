import {
  ReconnectAdvice,
  reconnectAdvice,
  type ClientInfo,
  type ConnectResult,
  type HistoryResultWire,
  type Push,
  type PublishResultWire,
  type ReplyError,
  type StreamPosition,
  type SubscribeResult,
} from '@switchboard/wire';
import { fullJitterDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { Subscription, type SubscriptionHost } from './subscription.js';

export const ClientState = { Disconnected: 'disconnected', Connecting: 'connecting', Connected: 'connected', Closed: 'closed' } as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/** The WebSocket constructor to use: the browser's, `@switchboard/websocket`'s or `ws`'s. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface ClientOptions {
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  token?: string;
  /** Called before every connect for a fresh token; wins over `token`. */
  getToken?: () => Promise<string>;
  /** Sent with `connect` (anonymous clients' presence info). */
  data?: unknown;
  name?: string;
  backoff?: BackoffOptions;
  /** A command without a reply after this long fails. @default 10000 */
  timeoutMs?: number;
}

export interface ClientEvents extends Record<string, unknown> {
  state: ClientState;
  connected: ConnectResult;
  disconnected: { code: number; reason: string; willReconnect: boolean };
  message: unknown;
}

/** A failed command: the server's reply error. */
export class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly temporary = false,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

const PROTOCOL = 'switchboard.v1.json';

/** Where a command's reply goes. */
export interface PendingReply {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * A connection to a Switchboard server that reconnects with full-jitter backoff,
 * follows the server's disconnect codes, and resubscribes every channel with its
 * last position in the one `connect` round trip.
 */
export class Client extends Emitter<ClientEvents> implements SubscriptionHost {
  state: ClientState = ClientState.Disconnected;
  private ws: WebSocket | undefined;
  private readonly subs = new Map<string, Subscription>();
  private readonly pending = new Map<number, PendingReply & { timer: ReturnType<typeof setTimeout> }>();
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryWindow: { minMs: number; maxMs: number } | undefined;

  constructor(
    readonly url: string,
    private readonly options: ClientOptions = {},
  ) {
    super();
  }

  connect(): void {
    if (this.state === ClientState.Connecting || this.state === ClientState.Connected) return;
    this.setState(ClientState.Connecting);
    void this.open();
  }

  /** Closes for good (until `connect()` again). */
  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.setState(ClientState.Closed);
    this.ws?.close(1000);
  }

  /** The subscription to `channel` (made on first call); it subscribes now or on connect. */
  subscribe(channel: string): Subscription {
    let sub = this.subs.get(channel);
    if (!sub) this.subs.set(channel, (sub = new Subscription(channel, this)));
    sub.subscribe();
    return sub;
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.subs.get(channel);
  }

  publish(channel: string, data: unknown, options: { idempotencyKey?: string } = {}): Promise<PublishResultWire> {
    return this.request('publish', { channel, data, ...options }) as Promise<PublishResultWire>;
  }

  history(channel: string, query: { since?: StreamPosition; limit?: number; reverse?: boolean } = {}): Promise<HistoryResultWire> {
    return this.request('history', { channel, ...query }) as Promise<HistoryResultWire>;
  }

  async presence(channel: string): Promise<ClientInfo[]> {
    return ((await this.request('presence', { channel })) as { clients: ClientInfo[] }).clients;
  }

  presenceStats(channel: string): Promise<{ clients: number; users: number }> {
    return this.request('presence_stats', { channel }) as Promise<{ clients: number; users: number }>;
  }

  rpc(method: string, data: unknown): Promise<unknown> {
    return this.request('rpc', { method, data });
  }

  /** Fire-and-forget message to the server's `onMessage`. */
  send(data: unknown): void {
    this.ws?.send(JSON.stringify({ method: 'send', params: { data } }));
  }

  // SubscriptionHost

  isConnected(): boolean {
    return this.state === ClientState.Connected;
  }

  forget(channel: string): void {
    this.subs.delete(channel);
  }

  request(method: string, params: object): Promise<unknown> {
    return new Promise((resolve, reject) => this.call(method, params, { resolve, reject }));
  }

  /**
   * Sends a command; `reply` runs synchronously as its reply is read, before any
   * message after it. WebSocket implementations in Node (ours, `ws`) dispatch the
   * messages of one read back to back, so a promise continuation would run only
   * after the pushes that follow the reply.
   */
  call(method: string, params: object, reply: PendingReply): void {
    const ws = this.ws;
    if (!ws || (this.state !== ClientState.Connected && method !== 'connect')) return reply.reject(new ClientError(0, 'not connected', true));
    const id = this.nextId++;
    ws.send(JSON.stringify({ id, method, params }));
    const timer = setTimeout(() => {
      this.pending.delete(id);
      reply.reject(new ClientError(114, `${method} timed out`, true));
    }, this.options.timeoutMs ?? 10_000);
    this.pending.set(id, { ...reply, timer });
  }

  private async open(): Promise<void> {
    let token = this.options.token;
    try {
      if (this.options.getToken) token = await this.options.getToken();
    } catch {
      return this.closed(3500, 'getToken failed');
    }
    if (this.state !== ClientState.Connecting) return;
    const Impl = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
    const ws = new Impl(this.url, PROTOCOL);
    this.ws = ws;
    ws.onopen = () => {
      const subs: Record<string, { since?: StreamPosition }> = {};
      for (const [channel, sub] of this.subs) if (sub.state !== 'unsubscribed') subs[channel] = sub.position ? { since: sub.position } : {};
      this.call('connect', { token, data: this.options.data, name: this.options.name, subs, reconnect: this.attempt > 0 }, {
        resolve: (result) => this.connected(result as ConnectResult),
        reject: () => ws.close(),
      });
    };
    ws.onmessage = (event) => this.onMessage(String(event.data));
    ws.onclose = (event) => {
      if (this.ws === ws) this.closed(event.code, event.reason);
    };
  }

  private connected(result: ConnectResult): void {
    this.attempt = 0;
    this.retryWindow = undefined;
    this.setState(ClientState.Connected);
    for (const [channel, outcome] of Object.entries(result.subs)) {
      const sub = this.subs.get(channel) ?? this.subs.set(channel, new Subscription(channel, this)).get(channel)!;
      if ('error' in outcome) sub.failed(outcome.error);
      else {
        sub.subscribe();
        sub.subscribed(outcome as SubscribeResult);
      }
    }
    this.emit('connected', result);
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as { id?: number; result?: unknown; error?: ReplyError } & Push;
    if (typeof message.id === 'number') {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.error) p.reject(new ClientError(message.error.code, message.error.message, message.error.temporary));
      else p.resolve(message.result);
      return;
    }
    switch (message.push) {
      case 'publication':
        this.subs.get(message.channel)?.publication(message.pub);
        break;
      case 'join':
      case 'leave':
        this.subs.get(message.channel)?.presenceEvent(message.push, message.info);
        break;
      case 'unsubscribe': {
        const sub = this.subs.get(message.channel);
        if (!sub) break;
        // A reconnect-range code asks us to resubscribe (and recover); others end the subscription.
        if (reconnectAdvice(message.code) === ReconnectAdvice.Reconnect) sub.resubscribe();
        else sub.failed({ code: message.code, message: message.reason });
        break;
      }
      case 'disconnect':
        this.retryWindow = message.reconnectAfter;
        break;
      case 'message':
        this.emit('message', message.data);
        break;
    }
  }

  private closed(code: number, reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ClientError(0, 'connection closed', true));
    }
    this.pending.clear();
    this.ws = undefined;
    for (const sub of this.subs.values()) sub.interrupted();
    const willReconnect = this.state !== ClientState.Closed && reconnectAdvice(code) !== ReconnectAdvice.Terminal;
    this.emit('disconnected', { code, reason, willReconnect });
    if (!willReconnect) return this.setState(ClientState.Closed);
    this.setState(ClientState.Disconnected);
    const window = this.retryWindow;
    const delay = window ? window.minMs + Math.random() * (window.maxMs - window.minMs) : fullJitterDelay(this.attempt, this.options.backoff);
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private setState(state: ClientState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }
}
