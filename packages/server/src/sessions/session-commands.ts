import type { Command, ConnectResult, Method, ReplyError, SubscribeResult } from '@switchboard/wire';
import { ReplyErrorCode } from '@switchboard/wire';
import { authenticate, refreshCredentials } from '../auth/connection-auth.js';
import { authorize, type PermissionAction } from '../auth/permissions.js';
import { toPublicationPush } from '../channels/publication-push.js';
import type { ResolvedChannel } from '../channels/namespaces.js';
import { CommandError, commandErrors, toReplyError } from '../errors.js';
import { prepareSubscription, type PreparedSubscription, type SubscribeRequest } from './subscribe-flow.js';
import type { Session } from './session.js';
import { SessionState } from './session-state.js';

/** A handled command: the reply's result, and what must happen right after the reply is written. */
export interface CommandOutcome {
  result?: unknown;
  afterReply?: () => void;
}

type Params<M extends Method> = Extract<Command, { method: M }>['params'];
type Handlers = { [M in Method]: (session: Session, params: Params<M>) => Promise<CommandOutcome> };

/** Read access beyond the namespace rules: the connection's permissions; `token` namespaces are readable only by their subscribers. */
function readable(session: Session, name: string, action: PermissionAction): ResolvedChannel {
  const channel = session.core.namespaces.resolve(name);
  session.core.namespaces.assertOwnerMayRead(channel, session.userId);
  authorize(session, action, name);
  if (channel.options.allowSubscribe === 'token' && !session.subscriptions.has(name)) throw commandErrors.notSubscribed();
  return channel;
}

const expired = (expiresAt: number | undefined) => expiresAt !== undefined && expiresAt <= Date.now();

export const COMMANDS: Handlers = {
  async connect(session, params) {
    if (session.state !== SessionState.Connecting) throw commandErrors.badRequest('already connected');
    const identity = await authenticate(session, params);
    if ((session.state as SessionState) === SessionState.Closed) return {};
    if (expired(identity.expiresAt)) throw new CommandError(ReplyErrorCode.TokenExpired, 'token expired');
    session.userId = identity.userId;
    session.connInfo = identity.connInfo;
    session.permissions = identity.permissions;
    session.accepted();
    session.credentialsExpireAt(identity.expiresAt);
    session.wantsPing = params.ping === true;
    session.core.metrics.connected(session.openedAt, params.reconnect === true);

    const { personalNamespace } = session.core.options;
    // Server-side channels first, so a client that also lists them keeps the server's terms.
    const serverSide = [...(identity.channels ?? [])];
    if (personalNamespace !== undefined && identity.userId !== '') serverSide.push(`${personalNamespace}:#${identity.userId}`);
    const requests: SubscribeRequest[] = [
      ...serverSide.map((channel) => ({ channel, since: params.subs?.[channel]?.since, serverSide: true })),
      ...Object.entries(params.subs ?? {}).map(([channel, sub]) => ({ channel, since: sub.since, token: sub.token })),
    ];
    const seen = new Set<string>();
    const unique = requests.filter((r) => !seen.has(r.channel) && seen.add(r.channel));
    const settled = await Promise.allSettled(unique.map((r) => prepareSubscription(session, r)));
    const subs: Record<string, SubscribeResult | { error: ReplyError }> = {};
    const prepared: PreparedSubscription[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') {
        subs[unique[i].channel] = s.value.result;
        prepared.push(s.value);
      } else {
        subs[unique[i].channel] = { error: toReplyError(s.reason) };
      }
    });
    const result: ConnectResult = { client: session.clientId, user: session.userId, subs, node: session.core.nodeId, ping: session.core.options.pingIntervalMs };
    if (session.expiresAt !== undefined) result.expiresAt = session.expiresAt;
    return { result, afterReply: () => prepared.forEach((p) => p.goLive()) };
  },

  async subscribe(session, params) {
    const prepared = await prepareSubscription(session, params);
    return { result: prepared.result, afterReply: prepared.goLive };
  },

  async unsubscribe(session, params) {
    session.leave(params.channel);
    return {};
  },

  async publish(session, params) {
    const { core } = session;
    const channel = core.namespaces.resolve(params.channel);
    core.namespaces.assertOwnerMayRead(channel, session.userId);
    authorize(session, 'publish', params.channel);
    if (!channel.options.allowPublish) throw commandErrors.permissionDenied('clients may not publish in this namespace');
    const changed = await core.options.hooks.onPublish?.(session, { channel: params.channel, data: params.data });
    const data = changed ? changed.data : params.data;
    const { position } = await core.engine.broker.publish(params.channel, data, {
      history: channel.options.history || undefined,
      idempotencyKey: params.idempotencyKey,
      idempotencyWindowMs: core.options.idempotencyWindowMs,
      publisher: { userId: session.userId, clientId: session.clientId },
    });
    core.metrics.published(params.channel);
    return { result: { offset: position.offset, epoch: position.epoch } };
  },

  async history(session, params) {
    const channel = readable(session, params.channel, 'history');
    if (!channel.options.history) throw commandErrors.notAvailable('history');
    const read = await session.core.engine.broker.history(params.channel, { since: params.since, limit: params.limit, reverse: params.reverse });
    if (read.gap) throw new CommandError(ReplyErrorCode.UnrecoverablePosition, 'history no longer continues from that position');
    return { result: { publications: read.publications.map(toPublicationPush), position: read.position } };
  },

  async presence(session, params) {
    const channel = readable(session, params.channel, 'presence');
    if (!channel.options.presence) throw commandErrors.notAvailable('presence');
    if (channel.options.presenceMode === 'counts') throw commandErrors.notAvailable('the presence list (counts-only mode)');
    return { result: { clients: await session.core.engine.presence.get(params.channel) } };
  },

  async presence_stats(session, params) {
    const channel = readable(session, params.channel, 'presence');
    if (!channel.options.presence) throw commandErrors.notAvailable('presence');
    return { result: await session.core.engine.presence.stats(params.channel) };
  },

  async rpc(session, params) {
    authorize(session, 'rpc', params.method);
    const handlers = session.core.options.hooks.onRpc ?? {};
    const handler = Object.hasOwn(handlers, params.method) ? handlers[params.method] : undefined;
    if (!handler) throw new CommandError(ReplyErrorCode.MethodNotFound, `no RPC method "${params.method}"`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandError(ReplyErrorCode.Timeout, 'RPC timed out', true)), session.core.options.rpcTimeoutMs);
    });
    try {
      return { result: await Promise.race([Promise.resolve(handler(session, params.data)), timeout]) };
    } finally {
      clearTimeout(timer);
    }
  },

  async send(session, params) {
    try {
      await session.core.options.hooks.onMessage?.(session, params.data);
    } catch (error) {
      session.core.log.warn({ err: error, clientId: session.clientId }, 'onMessage failed');
    }
    return {};
  },

  async refresh(session, params) {
    const { expiresAt } = await refreshCredentials(session, params.token);
    if (expired(expiresAt)) throw new CommandError(ReplyErrorCode.TokenExpired, 'token expired');
    session.credentialsExpireAt(expiresAt);
    return { result: expiresAt === undefined ? {} : { expiresAt } };
  },

  async ping() {
    return {};
  },
};
