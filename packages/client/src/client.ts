import {
  DisconnectCode,
  jsonClientCodec,
  ReconnectAdvice,
  ReplyErrorCode,
  parseReconnectAfter,
  reconnectAdvice,
  type ClientInfo,
  type ClientCodec,
  type ConnectResult,
  type HistoryResultWire,
  type ParamsOf,
  type PresenceStatsResult,
  type PublishResultWire,
  type ReplyError,
  type RequestMethod,
  type ResultOf,
  type ServerMessage,
  type StreamPosition,
  type SubscribeResult,
} from '@switchboard/wire';
import { fullJitterDelay, windowDelay, type BackoffOptions } from './backoff.js';
import { ClientError, ClientErrorCode } from './client-errors.js';
import { CommandChannel, type CommandOptions, type ReplyHandler } from './command-channel.js';
import { Emitter } from './emitter.js';
import { Subscription, type SubscribeOptions, type SubscriptionHost } from './subscription.js';
import {
  ClientState,
  type ClientEvent,
  type ClientOptions,
  type NetworkEvents,
  type WebSocketLike,
} from './client-options.js';
import { TokenRefresh } from './token-refresh.js';
import { TransportName } from './transports/client-transport.js';
import { createTransport, scheduleUpgradeProbe } from './transports/create-transport.js';
import { TransportLadder } from './transports/transport-ladder.js';

const DEFAULT_TRANSPORTS = Object.freeze([
  TransportName.WebSocket,
  TransportName.HttpStream,
  TransportName.Sse,
  TransportName.LongPoll,
]);

/**
 * A connection to a Switchboard server: `disconnected → connecting → connected`,
 * and `closed` after `disconnect()` or a terminal code. It reconnects with
 * full-jitter backoff (or inside the server's reconnect-after window), resubscribes
 * every channel with its last position in the one `connect` round trip, refreshes
 * credentials in place, and queues commands made while disconnected.
 */
export class Client extends Emitter<ClientEvent> implements SubscriptionHost {
  state: ClientState = ClientState.Disconnected;
  private ws: WebSocketLike | undefined;
  private readonly subs = new Map<string, Subscription>();
  private readonly commands: CommandChannel;
  private readonly refresh: TokenRefresh;
  private attempt = 0;
  private everConnected = false;
  private opening = 0;
  private offline = false;
  private watchingNetwork = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the server was last heard from (any message). */
  private lastHeard = 0;
  private readonly network: NetworkEvents | null;
  private readonly codec: ClientCodec;

  private readonly urls: readonly string[];
  private readonly ladder: TransportLadder;
  private cancelProbe: () => void = () => {};
  private urlIndex: number;
  private attempts = 0;

  /**
   * `url`: one server, or several (any node of a cluster accepts any
   * connection): the first is picked at random, and each reconnect tries another, at random.
   */
  constructor(
    url: string | readonly string[],
    private readonly options: ClientOptions = {},
  ) {
    super();
    this.urls = typeof url === 'string' ? [url] : [...url];
    if (this.urls.length === 0) throw new TypeError('Client: give at least one URL');
    this.urlIndex = Math.floor(Math.random() * this.urls.length);
    this.codec = options.codec ?? jsonClientCodec;
    this.ladder = new TransportLadder(options.transports ?? DEFAULT_TRANSPORTS);
    this.commands = new CommandChannel(this.codec, {
      timeoutMs: options.timeoutMs ?? 10_000,
      maxQueue: options.maxQueue ?? 1000,
    });
    this.refresh = new TokenRefresh(
      {
        getToken: options.getToken,
        request: (m, p) => this.commands.request(m, p),
        report: (error) => this.emit({ type: 'error', error }),
        backoff: options.backoff,
      },
      options.refreshAheadMs ?? 10_000,
    );
    const global = globalThis as unknown as Partial<NetworkEvents>;
    this.network =
      options.network !== undefined
        ? options.network
        : typeof global.addEventListener === 'function'
          ? (global as NetworkEvents)
          : null;
  }

  /** The server URL in use, or tried next. */
  get url(): string {
    return this.urls[this.urlIndex];
  }

  get backoff(): BackoffOptions | undefined {
    return this.options.backoff;
  }

  connect(): void {
    if (this.state === ClientState.Connecting || this.state === ClientState.Connected) return;
    clearTimeout(this.retryTimer);
    this.watchNetwork(true);
    this.commands.reopen();
    this.offline = false;
    this.setState(ClientState.Connecting);
    void this.open();
  }

  /**
   * Closes for good, until `connect()` again; subscriptions are kept and resume then. Waiting commands fail with
   * Closed.
   */
  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.watchNetwork(false);
    if (this.state === ClientState.Closed) return;
    const hadSocket = this.dropSocket();
    this.teardown();
    this.setState(ClientState.Closed);
    this.commands.close(new ClientError(ClientErrorCode.Closed, 'the client was disconnected'));
    if (hadSocket) this.emit({ type: 'disconnected', code: 1000, reason: 'client disconnect', willReconnect: false });
  }

  /** The subscription to `channel` (made on first call); it subscribes now, or with the next connect. */
  subscribe(channel: string, options?: SubscribeOptions): Subscription {
    let sub = this.subs.get(channel);
    if (!sub) this.subs.set(channel, (sub = new Subscription(channel, this, options)));
    sub.subscribe();
    return sub;
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.subs.get(channel);
  }

  /** With an `idempotencyKey` a publish survives a dropped connection (sent again; the server keeps one). */
  publish(
    channel: string,
    data: unknown,
    options: { idempotencyKey?: string; timeoutMs?: number } = {},
  ): Promise<PublishResultWire> {
    const { idempotencyKey, timeoutMs } = options;
    return this.commands.request(
      'publish',
      { channel, data, ...(idempotencyKey && { idempotencyKey }) },
      { retry: idempotencyKey !== undefined, timeoutMs },
    );
  }

  history(
    channel: string,
    query: { since?: StreamPosition; limit?: number; reverse?: boolean } = {},
    options?: CommandOptions,
  ): Promise<HistoryResultWire> {
    return this.commands.request('history', { channel, ...query }, { retry: true, ...options });
  }

  async presence(channel: string): Promise<ClientInfo[]> {
    return (await this.commands.request('presence', { channel }, { retry: true })).clients;
  }

  presenceStats(channel: string): Promise<PresenceStatsResult> {
    return this.commands.request('presence_stats', { channel }, { retry: true });
  }

  /** Not retried after a dropped connection (the handler may have run): fails with ConnectionLost. */
  rpc(method: string, data: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.commands.request('rpc', { method, data }, options);
  }

  /** Fire-and-forget to the server's `onMessage`; resolves once written. */
  send(data: unknown): Promise<void> {
    return this.commands.send({ data });
  }

  // SubscriptionHost

  isConnected(): boolean {
    return this.state === ClientState.Connected;
  }

  forget(channel: string): void {
    this.subs.delete(channel);
  }

  call<M extends RequestMethod>(method: M, params: ParamsOf<M>, handler: ReplyHandler<ResultOf<M>>): void {
    this.commands.call(method, params, handler);
  }

  private async open(): Promise<void> {
    const opening = ++this.opening;
    let token = this.options.token;
    if (this.options.getToken) {
      try {
        const fresh = await this.options.getToken();
        if (fresh === null)
          return opening === this.opening
            ? this.lost(DisconnectCode.Unauthorized, 'getToken returned null: no credentials')
            : undefined;
        token = fresh;
      } catch (error) {
        if (opening !== this.opening) return;
        this.emit({
          type: 'error',
          error: new ClientError(ClientErrorCode.TokenUnavailable, `getToken failed: ${String(error)}`, true),
        });
        return this.lost(DisconnectCode.InternalError, 'getToken failed');
      }
    }
    if (opening !== this.opening || this.state !== ClientState.Connecting) return;
    let ws: WebSocketLike;
    const transport = this.ladder.current;
    // A node that dropped us may be gone: the next attempt goes to one of the others, at random, so a
    // dead node's clients spread over the rest instead of all landing on its neighbour.
    const n = this.urls.length;
    if (this.attempts++ > 0 && n > 1) this.urlIndex = (this.urlIndex + 1 + Math.floor(Math.random() * (n - 1))) % n;
    try {
      ws = createTransport(transport, this.options).open(this.url, this.codec.subprotocol);
    } catch (error) {
      if (error instanceof TypeError && /implementation/.test(error.message)) throw error;
      // A malformed URL: no retry can fix it.
      return this.lost(DisconnectCode.BadProtocol, `cannot open ${this.url}: ${(error as Error).message}`);
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    // "Opened", for the ladder: the WebSocket upgrade succeeded, or (HTTP transports) the server said anything.
    let opened = false;
    ws.onopen = () => {
      if (transport === TransportName.WebSocket) opened = true;
      this.commands.attach(ws);
      const subs: NonNullable<ParamsOf<'connect'>['subs']> = {};
      for (const [channel, sub] of this.subs) if (sub.state !== 'unsubscribed') subs[channel] = sub.resumeParams();
      const params = {
        token,
        data: this.options.data,
        name: this.options.name,
        subs,
        reconnect: this.everConnected,
        ping: true,
      };
      this.commands.call('connect', params, {
        resolve: (result) => this.connected(ws, result),
        reject: (error) => this.refused(ws, error),
      });
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (this.ws !== ws) return;
      opened = true;
      this.lastHeard = Date.now();
      this.onMessage(event.data);
    };
    ws.onclose = (event: { code: number; reason: string }) => {
      // A server's own close code (≥ 3000) during connect counts as opened: no zero-delay step (centrifuge-js #408).
      if (this.ws === ws) this.lost(event.code, event.reason, opened || event.code >= 3000);
    };
  }

  /** While on a fallback: probe the top transport; when it opens, reconnect on it (subscriptions recover). */
  private scheduleProbe(): void {
    const better = this.ladder.better;
    this.cancelProbe = scheduleUpgradeProbe(
      better,
      this.options.upgradeProbeMs ?? 60_000,
      () => createTransport(better!, this.options).open(this.url, this.codec.subprotocol),
      () => {
        this.ladder.moveUp();
        this.dropSocket();
        this.teardown();
        this.setState(ClientState.Disconnected);
        this.emit({
          type: 'disconnected',
          code: 1000,
          reason: `moving up to ${better}`,
          willReconnect: true,
          retryInMs: 0,
        });
        this.connect();
      },
    );
  }

  /**
   * A channel the server subscribed this connection to: the app's subscription, or one made (as the server's) and
   * announced with `subscribed`.
   */
  private serverSubscribed(channel: string, outcome: SubscribeResult | { error: ReplyError }): void {
    let sub = this.subs.get(channel);
    const isNew = !sub;
    if (!sub) {
      this.subs.set(channel, (sub = new Subscription(channel, this)));
      sub.madeByServer();
    }
    if ('error' in outcome)
      sub.rejected(new ClientError(outcome.error.code, outcome.error.message, outcome.error.temporary ?? false));
    else sub.subscribed(outcome);
    if (isNew && !('error' in outcome)) this.emit({ type: 'subscribed', channel, subscription: sub });
  }

  private connected(ws: WebSocketLike, result: ConnectResult): void {
    if (this.ws !== ws) return;
    this.everConnected = true;
    this.ladder.opened();
    this.scheduleProbe();
    this.stableTimer = setTimeout(() => (this.attempt = 0), this.options.stableAfterMs ?? 5000);
    this.setState(ClientState.Connected);
    for (const [channel, outcome] of Object.entries(result.subs)) this.serverSubscribed(channel, outcome);
    for (const [channel, sub] of this.subs) if (!(channel in result.subs)) sub.resume();
    this.commands.flow();
    this.refresh.schedule(result.expiresAt);
    if (result.ping) this.watchSilence(result.ping + (this.options.pingGraceMs ?? 10_000));
    this.emit({
      type: 'connected',
      client: result.client,
      user: result.user,
      node: result.node,
      transport: this.ladder.current,
      ...(result.expiresAt !== undefined && { expiresAt: result.expiresAt }),
    });
  }

  /** `connect` got a reply error: an expired token is worth a fresh one; a refusal is terminal. */
  private refused(ws: WebSocketLike, error: ClientError): void {
    if (this.ws !== ws || error.code === ClientErrorCode.ConnectionLost) return;
    this.dropSocket();
    if (error.code === ReplyErrorCode.TokenExpired) {
      return this.lost(
        this.options.getToken ? DisconnectCode.Expired : DisconnectCode.InvalidToken,
        `connect refused: ${error.message}`,
      );
    }
    this.lost(
      error.temporary ? DisconnectCode.InternalError : DisconnectCode.Unauthorized,
      `connect refused: ${error.message}`,
    );
  }

  /** `data`: a string (text frame), an ArrayBuffer (binaryType 'arraybuffer') or a Node Buffer (`ws`). */
  private onMessage(data: unknown): void {
    let message: ServerMessage;
    try {
      message = this.codec.decodeMessage(
        typeof data === 'string'
          ? data
          : ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : new Uint8Array(data as ArrayBuffer),
      );
    } catch {
      this.dropSocket();
      return this.lost(DisconnectCode.BadProtocol, 'malformed message from the server');
    }
    if ('id' in message) return this.commands.reply(message);
    switch (message.push) {
      case 'publication':
        return this.subs.get(message.channel)?.publication(message.pub);
      case 'join':
      case 'leave':
        return this.subs.get(message.channel)?.presenceEvent(message.push, message.info);
      case 'presence': {
        const sub = this.subs.get(message.channel);
        for (const info of message.leaves) sub?.presenceEvent('leave', info);
        for (const info of message.joins) sub?.presenceEvent('join', info);
        return;
      }
      case 'subscribe':
        return this.serverSubscribed(message.channel, message.result);
      case 'unsubscribe':
        return this.subs.get(message.channel)?.serverUnsubscribed(message.code, message.reason);
      case 'refresh':
        return this.refresh.now();
      case 'ping':
        return; // lastHeard is all it is for
      case 'message':
        return this.emit({ type: 'message', data: message.data });
    }
  }

  /** The connection ended (or never came up): reconnect, wait for `online`, or stop on a terminal code. */
  private lost(code: number, reason: string, opened = true): void {
    this.teardown();
    if (this.state === ClientState.Closed) return;
    const advice = reconnectAdvice(code);
    if (!opened && advice === ReconnectAdvice.Reconnect && !this.offline && this.ladder.failedBeforeOpen()) {
      // Down the ladder (or back to the transport that worked) at once: bounded by the ladder's length.
      this.setState(ClientState.Disconnected);
      this.retryTimer = setTimeout(() => this.connect(), 0);
      return this.emit({ type: 'disconnected', code, reason, willReconnect: true, retryInMs: 0 });
    }
    if (advice === ReconnectAdvice.Terminal) {
      this.setState(ClientState.Closed);
      this.commands.close(new ClientError(ClientErrorCode.Closed, `closed by the server: ${code} ${reason}`));
      return this.emit({ type: 'disconnected', code, reason, willReconnect: false });
    }
    this.setState(ClientState.Disconnected);
    if (this.offline) return this.emit({ type: 'disconnected', code, reason, willReconnect: true });
    const window = parseReconnectAfter(reason);
    const random = this.options.backoff?.random;
    const delay = window
      ? windowDelay(window, random)
      : fullJitterDelay(
          advice === ReconnectAdvice.TryLater ? Math.max(this.attempt, 3) : this.attempt,
          this.options.backoff,
        );
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.emit({ type: 'disconnected', code, reason, willReconnect: true, retryInMs: delay });
  }

  /** A half-open connection shows only as silence: the server pings at least every `ping` ms. */
  private watchSilence(limitMs: number): void {
    const check = () => {
      const silentFor = Date.now() - this.lastHeard;
      if (silentFor < limitMs) {
        this.silenceTimer = setTimeout(check, limitMs - silentFor);
        return;
      }
      this.dropSocket();
      this.lost(DisconnectCode.NoPong, `no message from the server for ${silentFor} ms`);
    };
    this.silenceTimer = setTimeout(check, limitMs);
  }

  /** Closes our socket without waiting for its close event (which no longer counts). */
  private dropSocket(): boolean {
    const ws = this.ws;
    if (!ws) return false;
    this.ws = undefined;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.close(1000);
    return true;
  }

  /** What every end of a connection undoes. */
  private teardown(): void {
    this.ws = undefined;
    this.opening++;
    clearTimeout(this.stableTimer);
    clearTimeout(this.silenceTimer);
    this.cancelProbe();
    this.refresh.stop();
    this.commands.detach();
    for (const sub of this.subs.values()) sub.interrupted();
  }

  private watchNetwork(on: boolean): void {
    if (!this.network || on === this.watchingNetwork) return;
    this.watchingNetwork = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    this.network[method]('online', this.onOnline);
    this.network[method]('offline', this.onOffline);
  }

  private readonly onOffline = (): void => {
    if (this.state === ClientState.Closed) return;
    this.offline = true;
    clearTimeout(this.retryTimer);
    if (this.dropSocket()) this.lost(1006, 'network offline');
    else this.setState(ClientState.Disconnected);
  };

  private readonly onOnline = (): void => {
    if (!this.offline || this.state === ClientState.Closed) return;
    this.attempt = 0;
    this.connect();
  };

  private setState(state: ClientState): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.emit({ type: 'state', state, previous });
  }
}
