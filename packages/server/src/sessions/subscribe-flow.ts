import type { StreamPosition } from '@switchboard/engine';
import { ReplyErrorCode, type SubscribeResult } from '@switchboard/wire';
import { authorize } from '../auth/permissions.js';
import { CommandError, commandErrors } from '../errors.js';
import type { Session } from './session.js';
import { Subscription } from './subscription.js';

export interface PreparedSubscription {
  result: SubscribeResult;
  /** Call right after the reply is written: buffered publications follow it, then live ones. */
  goLive(): void;
}

export interface SubscribeRequest {
  channel: string;
  since?: StreamPosition;
  token?: string;
  /** Made by the server (personal channel, `onConnecting`'s or the JWT's channels): namespace rules, permissions and hooks are skipped. */
  serverSide?: boolean;
}

/**
 * Subscribes a session up to the point of replying. The order is the recovery
 * discipline: join the hub (the node now receives the channel, and the
 * subscription buffers), then read history, then reply, then go live.
 */
export async function prepareSubscription(session: Session, request: SubscribeRequest): Promise<PreparedSubscription> {
  const { core } = session;
  const name = request.channel;
  if (session.subscriptions.has(name)) throw new CommandError(ReplyErrorCode.AlreadySubscribed, 'already subscribed');
  const channel = core.namespaces.resolve(name);
  if (!request.serverSide) {
    core.namespaces.assertOwnerMayRead(channel, session.userId);
    authorize(session, 'subscribe', name);
    const hook = core.options.hooks.onSubscribe;
    if (channel.options.allowSubscribe === 'token') {
      if (request.token === undefined || (!hook && !core.auth)) throw commandErrors.permissionDenied('this namespace needs a subscribe token');
      // The application's hook checks the token when it is set; otherwise the JWT verifier does.
      if (!hook) await core.auth!.authorizeSubscription(request.token, name, session.userId);
    }
    await hook?.(session, { channel: name, token: request.token });
  }
  if (session.subscriptions.size >= core.options.maxSubscriptionsPerConnection) {
    throw commandErrors.limit(`at most ${core.options.maxSubscriptionsPerConnection} subscriptions per connection`);
  }
  const max = channel.options.maxSubscribers;
  if (max > 0 && core.hub.subscriberCount(name) >= max) throw commandErrors.limit(`channel is full (${max} subscribers)`);
  if (session.subscriptions.has(name)) throw new CommandError(ReplyErrorCode.AlreadySubscribed, 'already subscribed');

  const subscription = new Subscription(channel);
  session.subscriptions.set(name, subscription);
  try {
    await core.hub.subscribe(name, session);
    const result = await subscription.join(core.hub, core.engine.broker, request.since);
    if (request.since) core.metrics.recovery(result.recovered === true);
    await core.presence.join(channel, { clientId: session.clientId, userId: session.userId, connInfo: session.connInfo });
    return {
      result,
      goLive: () => {
        if (session.subscriptions.get(name) === subscription) subscription.goLive((p) => session.deliver(p));
      },
    };
  } catch (error) {
    if (session.subscriptions.get(name) === subscription) session.leave(name);
    throw error;
  }
}
