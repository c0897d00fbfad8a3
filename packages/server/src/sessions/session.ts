import { randomUUID } from 'node:crypto';
import type { HistoryQuery, HistoryResult, Publication, StreamPosition } from '@switchboard/engine';
import { DisconnectCode, ReplyErrorCode, WireError, type Command, type Push, type Reply } from '@switchboard/wire';
import { NO_IDENTITY, type ConnectionRequest, type Identity } from '../auth/identity.js';
import type { ChannelSubscriber, SharedPush } from '../channels/hub.js';
import { toPublicationPush } from '../channels/publication-push.js';
import { DisconnectError, toReplyError } from '../errors.js';
import type { SessionContext } from '../hooks.js';
import type { SessionInbound, Transport } from '../transports/transport.js';
import type { CommandContext } from './command-context.js';
import { CredentialExpiry } from './credential-expiry.js';
import { COMMANDS } from './session-commands.js';
import { prepareSubscription } from './subscribe-flow.js';
import type { SessionHandle } from './session-registry.js';
import type { SessionServices } from './session-services.js';
import { SessionState } from './session-state.js';
import { SlowConsumer, type SlowConsumerHost } from './slow-consumer.js';
import type { UnsubscribeReason } from '../events/lifecycle-event.js';
import { TokenBucket } from './token-bucket.js';
import { SubscriptionTable } from './subscription-table.js';

const PING: Push = { push: 'ping' };

/**
 * One client connection, over any transport and in any client protocol (see SessionState).
 * Its one inbound port (`SessionInbound`) takes commands already decoded, however they came;
 * they are handled one at a time, in order, each with exactly one reply. A session reaches its
 * node only through `SessionServices`, and hooks see it only through its frozen `context`.
 */
export class Session implements ChannelSubscriber, SessionInbound, SessionHandle, CommandContext, SlowConsumerHost {
  readonly clientId = randomUUID();
  identity: Identity = NO_IDENTITY;
  /** What hooks receive: a frozen view, made on first use and anew when the identity changes. */
  private frozenContext: SessionContext | undefined;
  state: SessionState = SessionState.Connecting;
  /** performance.now() at the upgrade, for the connect latency metric. */
  readonly openedAt = performance.now();
  readonly subscriptions = new SubscriptionTable();
  /**
   * Commands waiting for the one running; made when one has to wait, dropped when drained (idle sessions keep none).
   */
  private queue: Command[] | undefined;
  private running = false;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Made only for connections whose credentials expire, to keep idle sessions small. */
  private expiry: CredentialExpiry | undefined;
  /** Made the first time the send buffer is over the cap. */
  private slow: SlowConsumer | undefined;
  /** The client asked for `ping` pushes in `connect`. */
  private wantsPing = false;
  awaitingPong = false;
  /** Made only when `commandRate` is set. */
  private readonly rate: TokenBucket | undefined;
  /** The user this connection is counted for (`maxConnectionsPerUser`), released at close. */
  countedForUser: string | undefined;
  /** Unix ms of the accepted connect (the disconnect event's duration). */
  private connectedAt = 0;
  /** The handshake headers kept for the backend proxy (`SessionServices.forwardedHeaders`). */
  private headers: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly services: SessionServices,
    readonly transport: Transport,
    /** Kept only until `connect` is handled (the `onConnecting` hook reads it), to keep idle sessions small. */
    public request: ConnectionRequest | undefined,
  ) {
    services.registry.add(this);
    const { commandRate } = services.options;
    this.rate = commandRate ? new TokenBucket(commandRate, performance.now()) : undefined;
    this.connectTimer = setTimeout(
      () => this.disconnect(DisconnectCode.Stale, 'no connect command in time'),
      services.options.connectTimeoutMs,
    );
  }

  get userId(): string {
    return this.identity.userId;
  }

  get permissions() {
    return this.identity.permissions;
  }

  get remoteAddress(): string | undefined {
    return this.transport.info.remoteAddress;
  }

  get transportName(): string {
    return this.transport.info.name;
  }

  get sessionToken(): string | undefined {
    return this.transport.info.sessionToken;
  }

  get bufferedBytes(): number {
    return this.transport.bufferedAmount;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  get isConnected(): boolean {
    return this.state === SessionState.Connected;
  }

  alive(): void {
    this.awaitingPong = false;
  }

  ping(): void {
    this.awaitingPong = true;
    this.transport.ping();
    if (this.wantsPing) this.push(PING);
  }

  heartbeatLost(): void {
    if (this.state === SessionState.Closed) return;
    const reason = `no pong within ${this.services.options.pongTimeoutMs} ms`;
    this.services.metrics.heartbeatTimeout();
    this.services.log.debug?.({ ...this.logFields }, 'no pong: connection dropped');
    this.transport.abort(DisconnectCode.NoPong, reason);
    // No closing handshake can happen with a silent peer: an abnormal closure, as for a TCP reset.
    this.closed(1006, reason);
  }

  malformed(reason: string): void {
    this.disconnect(DisconnectCode.BadRequest, reason);
  }

  receive(commands: readonly (Command | WireError)[]): void {
    if (this.state === SessionState.Closed) return;
    this.awaitingPong = false;
    this.services.metrics.messagesReceived(commands.length);
    for (const command of commands) {
      if (command instanceof WireError) {
        if (command.id === undefined) return this.disconnect(DisconnectCode.BadRequest, command.message);
        this.reply({ id: command.id, error: { code: ReplyErrorCode.BadRequest, message: command.message } });
        continue;
      }
      if (this.state === SessionState.Connecting && command.method !== 'connect' && !this.running && !this.queue) {
        return this.disconnect(DisconnectCode.BadRequest, 'command before connect');
      }
      if (this.rate && !this.rate.take(performance.now())) {
        if (command.id !== undefined)
          this.reply({
            id: command.id,
            error: { code: ReplyErrorCode.TooManyRequests, message: 'command rate exceeded', temporary: true },
          });
        continue;
      }
      if ((this.queue?.length ?? 0) >= this.services.options.maxPendingCommands) {
        if (command.id !== undefined)
          this.reply({
            id: command.id,
            error: { code: ReplyErrorCode.TooManyRequests, message: 'too many pending commands', temporary: true },
          });
        continue;
      }
      (this.queue ??= []).push(command);
    }
    void this.drain();
  }

  /** Who this connection is, for log lines. */
  get logFields(): { clientId: string; user: string; transport: string } {
    return { clientId: this.clientId, user: this.identity.userId, transport: this.transport.info.name };
  }

  closed(code: number, reason: string): void {
    if (this.state === SessionState.Closed) return;
    const wasConnected = this.state === SessionState.Connected;
    this.services.log.debug?.(
      { ...this.logFields, code, reason },
      wasConnected ? 'connection closed' : 'connection closed before connect',
    );
    this.state = SessionState.Closed;
    clearTimeout(this.connectTimer);
    this.expiry?.stop();
    this.queue = undefined;
    for (const channel of this.subscriptions.channels()) this.leave(channel, 'disconnect');
    this.services.registry.remove(this);
    if (this.countedForUser !== undefined) {
      this.services.presence
        .removeConnection(this.countedForUser, this.clientId)
        .catch((error: unknown) =>
          this.services.log.warn({ err: error, ...this.logFields }, 'user connection count not updated'),
        );
    }
    this.services.metrics.disconnected(code, this.transport.info.name);
    if (wasConnected) {
      this.services.lifecycle?.disconnected(this.record, code, reason);
      this.services.options.hooks.onDisconnect?.(this.context, code, reason);
    }
  }

  accept(identity: Identity, wantsPing: boolean): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.request && this.services.forwardedHeaders)
      this.headers = Object.freeze(this.services.forwardedHeaders(this.request.headers));
    this.request = undefined;
    this.state = SessionState.Connected;
    this.wantsPing = wantsPing;
    this.identity = identity;
    this.frozenContext = undefined;
    this.services.registry.identify(this);
    this.connectedAt = Date.now();
    this.services.lifecycle?.connected(this.record, { remoteAddress: this.remoteAddress, connInfo: identity.connInfo });
    this.watchExpiry();
    this.services.log.debug?.({ ...this.logFields, remoteAddress: this.remoteAddress }, 'connection accepted');
  }

  /** Who this connection is, for its lifecycle events. */
  get record() {
    return {
      client: this.clientId,
      user: this.identity.userId,
      transport: this.transport.info.name,
      since: this.connectedAt,
    };
  }

  reidentify(identity: Identity): void {
    this.identity = identity;
    this.frozenContext = undefined;
    this.watchExpiry();
  }

  isSubscribed(channel: string): boolean {
    return this.subscriptions.has(channel);
  }

  read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.services.channels.read(channel, query);
  }

  get context(): SessionContext {
    if (this.frozenContext) return this.frozenContext;
    const context: { -readonly [K in keyof SessionContext]: SessionContext[K] } = {
      clientId: this.clientId,
      userId: this.identity.userId,
      connInfo: this.identity.connInfo,
      transportName: this.transport.info.name,
    };
    // Only what the transport knows: a memory transport has no address, and headers are kept only for a proxy.
    const { remoteAddress } = this.transport.info;
    if (remoteAddress !== undefined) context.remoteAddress = remoteAddress;
    if (this.headers) context.headers = this.headers;
    return (this.frozenContext = Object.freeze(context));
  }

  /** Sets (connect) or moves (refresh) the credential expiry and its clock. */
  private watchExpiry(): void {
    const { expiresAt } = this.identity;
    if (expiresAt === undefined && !this.expiry) return;
    const renew = this.services.options.hooks.onCredentialsExpired;
    (this.expiry ??= new CredentialExpiry(
      this,
      this.services.options.tokenGraceMs,
      renew && (async () => renew(this.context)),
    )).set(expiresAt);
  }

  renewed(expiresAt: number | undefined): void {
    if (this.state === SessionState.Connected) this.reidentify(Object.freeze({ ...this.identity, expiresAt }));
  }

  reply(reply: Reply): void {
    if (this.state !== SessionState.Closed && this.withinHardCap()) this.write(reply);
  }

  push(push: Push): void {
    if (this.state !== SessionState.Closed && this.withinHardCap()) this.write(push);
  }

  private write(message: Reply | Push): void {
    this.services.metrics.messagesSent(1);
    this.transport.write(message);
  }

  /**
   * Replies, joins and leaves are never dropped; a backlog of twice the cap closes the connection whatever the policy.
   */
  private withinHardCap(): boolean {
    if (this.transport.bufferedAmount <= 2 * this.services.options.maxSendBufferBytes) return true;
    this.closeSlowConsumer();
    return false;
  }

  /** 3008: the client could not keep up with what it is sent. */
  closeSlowConsumer(): void {
    if (this.state !== SessionState.Closed)
      this.services.log.warn(
        { ...this.logFields, bufferedBytes: this.transport.bufferedAmount },
        'slow consumer closed (3008)',
      );
    this.disconnect(DisconnectCode.SlowConsumer, 'send buffer full');
  }

  /** Subscribed, with the subscribe reply sent: what live pushes need. */
  isLive(channel: string): boolean {
    return this.subscriptions.get(channel)?.state === 'live';
  }

  disconnect(code: number, reason: string): void {
    if (this.state === SessionState.Closed) return;
    this.transport.close(code, reason);
    this.closed(code, reason);
  }

  /** Ends a subscription from the server's side (API, cluster), telling the client why. */
  serverUnsubscribe(channel: string, code: number, reason: string): void {
    if (!this.subscriptions.has(channel)) return;
    this.leave(channel, code === DisconnectCode.SubscriptionExpired ? 'expired' : 'server');
    this.push({ push: 'unsubscribe', channel, code, reason });
  }

  serverSubscribe(channel: string, since?: StreamPosition): void {
    if (this.state !== SessionState.Connected || this.subscriptions.has(channel)) return;
    prepareSubscription(this, { channel, since, serverSide: true }).then(
      (prepared) => {
        this.push({ push: 'subscribe', channel, result: prepared.result });
        prepared.goLive();
      },
      (error: unknown) =>
        this.services.log.info(
          { ...this.logFields, channel, err: toReplyError(error).message },
          'server-side subscribe failed',
        ),
    );
  }

  /**
   * Drops a subscription: presence, the hub, and the map. Its lifecycle events
   * start in that order (unsubscribe, member_removed, channel_vacated).
   */
  leave(channel: string, reason: UnsubscribeReason): void {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    this.subscriptions.delete(channel);
    sub.stop();
    if (sub.announced) this.services.lifecycle?.unsubscribed(this.record, channel, reason);
    this.services.presence
      .leave(sub.channel, { clientId: this.clientId, userId: this.userId, connInfo: this.identity.connInfo })
      .catch((error: unknown) => this.services.log.warn({ err: error, channel }, 'presence leave failed'));
    this.services.hub.unsubscribe(channel, this);
  }

  // ChannelSubscriber: what the hub delivers.

  onPublication(channel: string, publication: Publication, encoded: SharedPush): void {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    if (sub.state === 'joining') return sub.buffered(publication);
    const message = encoded.for(this.transport.protocol);
    const cap = this.services.options.maxSendBufferBytes;
    if (!this.slow) {
      if (this.transport.bufferedAmount + message.bytes.length <= cap) return this.transport.writeShared(message);
      this.slow = new SlowConsumer(this, cap, (outcome, policy, count) =>
        this.services.metrics.slowConsumer(outcome, policy, count),
      );
    }
    if (!this.slow.offer(sub, publication, message.bytes.length)) this.transport.writeShared(message);
  }

  onChannelPush(channel: string, encoded: SharedPush): void {
    if (this.isLive(channel) && this.withinHardCap()) this.transport.writeShared(encoded.for(this.transport.protocol));
  }

  onStreamGap(channel: string): void {
    // Resubscribing with its last position makes the client recover from history (or resync).
    this.serverUnsubscribe(channel, DisconnectCode.InsufficientState, 'publications lost between nodes: resubscribe');
  }

  /** Writes one publication for this session alone (buffered while joining, held or replayed for a slow consumer). */
  deliver(publication: Publication, skipped?: number): void {
    const pub = toPublicationPush(publication);
    if (skipped) pub.skipped = skipped;
    this.push({ push: 'publication', channel: publication.channel, pub });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let command = this.queue?.shift(); command; command = this.queue?.shift()) {
        await this.handle(command);
        if (this.state === SessionState.Closed) return;
      }
    } finally {
      this.queue = undefined;
      this.running = false;
    }
  }

  private async handle(command: Command): Promise<void> {
    if (this.state === SessionState.Connecting && command.method !== 'connect') {
      return this.disconnect(DisconnectCode.BadRequest, 'command before connect');
    }
    try {
      const outcome = await COMMANDS[command.method](this, command.params as never);
      if (command.id !== undefined) this.reply({ id: command.id, result: outcome.result ?? {} });
      outcome.afterReply?.();
    } catch (error) {
      if (error instanceof DisconnectError) {
        if (command.method === 'connect')
          this.services.log.info(
            { ...this.logFields, remoteAddress: this.remoteAddress, code: error.code, reason: error.reason },
            'connection refused',
          );
        return this.disconnect(error.code, error.reason);
      }
      const reply = toReplyError(error);
      if (reply.code === ReplyErrorCode.Internal)
        this.services.log.error({ err: error, method: command.method, ...this.logFields }, 'command failed');
      else if (command.method === 'connect')
        this.services.log.info({ ...this.logFields, code: reply.code, reason: reply.message }, 'connect refused');
      if (command.id !== undefined) this.reply({ id: command.id, error: reply });
    }
  }
}
