import type { Command, ConnectResult, Method, ReplyError, SubscribeResult } from '@switchboard/wire';
import { DisconnectCode, ReplyErrorCode, withReconnectAfter } from '@switchboard/wire';
import { authorize } from '../auth/permissions.js';
import { CommandError, DisconnectError, commandErrors, toReplyError } from '../errors.js';
import type { CommandContext } from './command-context.js';
import { SessionState } from './session-state.js';
import { prepareSubscription, type PreparedSubscription, type SubscribeRequest } from './subscribe-flow.js';

/** A handled command: the reply's result, and what must happen right after the reply is written. */
interface CommandOutcome {
  result?: unknown;
  afterReply?: () => void;
}

type Params<M extends Method> = Extract<Command, { method: M }>['params'];
type Handlers = { [M in Method]: (session: CommandContext, params: Params<M>) => Promise<CommandOutcome> };

const expired = (expiresAt: number | undefined) => expiresAt !== undefined && expiresAt <= Date.now();

/**
 * `maxConnectionsPerUser`, across the cluster: the connection is counted first,
 * then the count is read, so two racing connects can both be refused but never
 * both pass over the limit. Over it: 3400, come back within 5–30 s.
 */
async function countUserConnection(session: CommandContext, userId: string): Promise<void> {
  const { services } = session;
  const max = services.options.maxConnectionsPerUser;
  if (max === 0 || userId === '') return;
  const count = await services.presence.addConnection(userId, { clientId: session.clientId, userId });
  session.countedForUser = userId;
  if (count > max) {
    throw new DisconnectError(
      DisconnectCode.TooManyConnections,
      withReconnectAfter(`at most ${max} connections per user`, { minMs: 5000, maxMs: 30_000 }),
    );
  }
}

/**
 * The command handlers: authorization and hooks around the channel service
 * (which the HTTP API shares), and the session's own lifecycle.
 */
export const COMMANDS: Handlers = {
  async connect(session, params) {
    if (session.state !== SessionState.Connecting) throw commandErrors.badRequest('already connected');
    const { services } = session;
    const { identity, channels } = await services.auth.authenticate({
      clientId: session.clientId,
      transport: session.transportName,
      // Read only if a hook or a log line asks: reading it makes Node keep a copy per socket.
      get remoteAddress() {
        return session.remoteAddress;
      },
      request: session.request,
      params,
    });
    if ((session.state as SessionState) === SessionState.Closed) return {};
    if (expired(identity.expiresAt)) throw new CommandError(ReplyErrorCode.TokenExpired, 'token expired');
    await countUserConnection(session, identity.userId);
    if ((session.state as SessionState) === SessionState.Closed) return {};
    session.accept(identity, params.ping === true);
    services.metrics.connected(session.openedAt, params.reconnect === true);

    const { personalNamespace } = services.options;
    // Server-side channels first, so a client that also lists them keeps the server's terms.
    const serverSide = channels;
    if (personalNamespace !== undefined && identity.userId !== '')
      serverSide.push(`${personalNamespace}:#${identity.userId}`);
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
    const result: ConnectResult = {
      client: session.clientId,
      user: identity.userId,
      subs,
      node: services.nodeId,
      ping: services.options.pingIntervalMs,
    };
    if (identity.expiresAt !== undefined) result.expiresAt = identity.expiresAt;
    if (session.sessionToken !== undefined) result.session = session.sessionToken;
    return { result, afterReply: () => prepared.forEach((p) => p.goLive()) };
  },

  async subscribe(session, params) {
    const prepared = await prepareSubscription(session, params);
    return { result: prepared.result, afterReply: prepared.goLive };
  },

  async unsubscribe(session, params) {
    session.leave(params.channel, 'client');
    return {};
  },

  async publish(session, params) {
    const hook = session.services.options.hooks.onPublish;
    const { lifecycle } = session.services;
    let data = params.data;
    const position = await session.services.channels.publish(params.channel, params.data, {
      actor: session,
      idempotencyKey: params.idempotencyKey,
      transform:
        hook &&
        (async (d) =>
          (data = ((await hook(session.context, { channel: params.channel, data: d })) ?? { data: d }).data)),
    });
    lifecycle?.published(session.record, params.channel, position, data);
    return { result: { offset: position.offset, epoch: position.epoch } };
  },

  async history(session, params) {
    return {
      result: await session.services.channels.history(
        params.channel,
        { since: params.since, limit: params.limit, reverse: params.reverse },
        session,
      ),
    };
  },

  async presence(session, params) {
    return { result: { clients: await session.services.channels.presence(params.channel, session) } };
  },

  async presence_stats(session, params) {
    return { result: await session.services.channels.presenceStats(params.channel, session) };
  },

  async rpc(session, params) {
    authorize(session, 'rpc', params.method);
    const { options } = session.services;
    const handlers = options.hooks.onRpc ?? {};
    const named = Object.hasOwn(handlers, params.method) ? handlers[params.method] : undefined;
    const any = options.hooks.onAnyRpc;
    const handler = named ?? (any && ((ctx: typeof session.context, data: unknown) => any(ctx, params.method, data)));
    if (!handler) throw new CommandError(ReplyErrorCode.MethodNotFound, `no RPC method "${params.method}"`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CommandError(ReplyErrorCode.Timeout, 'RPC timed out', true)),
        options.rpcTimeoutMs,
      );
    });
    try {
      return { result: await Promise.race([Promise.resolve(handler(session.context, params.data)), timeout]) };
    } finally {
      clearTimeout(timer);
    }
  },

  async send(session, params) {
    try {
      await session.services.options.hooks.onMessage?.(session.context, params.data);
    } catch (error) {
      session.services.log.warn(
        { err: error, clientId: session.clientId, user: session.userId, transport: session.transportName },
        'onMessage failed',
      );
    }
    return {};
  },

  async refresh(session, params) {
    const identity = await session.services.auth.refresh(session.context, session.identity, params.token);
    if (expired(identity.expiresAt)) throw new CommandError(ReplyErrorCode.TokenExpired, 'token expired');
    session.reidentify(identity);
    return { result: identity.expiresAt === undefined ? {} : { expiresAt: identity.expiresAt } };
  },

  async ping() {
    return {};
  },
};
