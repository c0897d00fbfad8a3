import type { PresenceEntry, StreamPosition } from '@switchboard/engine';
import { DisconnectCode, ReplyErrorCode, type SubscribeResult } from '@switchboard/wire';
import { CommandError, commandErrors } from '../errors.js';
import type { SubscribeAnswer } from '../hooks.js';
import type { CommandContext } from './command-context.js';
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
  /**
   * Made by the server (personal channel, `onConnecting`'s or the JWT's channels): namespace rules, permissions and
   * hooks are skipped.
   */
  serverSide?: boolean;
}

/**
 * Subscribes a session up to the point of replying. The order is the recovery
 * discipline: join the hub (the node now receives the channel, and the
 * subscription buffers), then read history, then reply, then go live.
 */
export async function prepareSubscription(
  session: CommandContext,
  request: SubscribeRequest,
): Promise<PreparedSubscription> {
  const { services } = session;
  const name = request.channel;
  let answer: SubscribeAnswer | void = undefined;
  if (session.subscriptions.has(name)) throw new CommandError(ReplyErrorCode.AlreadySubscribed, 'already subscribed');
  const channel = services.channels.resolve(name);
  if (!request.serverSide) {
    services.channels.checkAccess(channel, 'subscribe', session);
    const hook = services.options.hooks.onSubscribe;
    const verifier = services.auth.verifier;
    if (channel.options.allowSubscribe === 'token') {
      if (request.token === undefined || (!hook && !verifier))
        throw commandErrors.permissionDenied('this namespace needs a subscribe token');
      // The application's hook checks the token when it is set; otherwise the JWT verifier does.
      if (!hook) await verifier!.authorizeSubscription(request.token, name, session.userId);
    }
    answer = await hook?.(session.context, { channel: name, token: request.token });
    if (answer?.expiresAt !== undefined && answer.expiresAt <= Date.now())
      throw new CommandError(ReplyErrorCode.TokenExpired, 'access to this channel has expired');
  }
  const { maxSubscriptionsPerConnection } = services.options;
  if (session.subscriptions.size >= maxSubscriptionsPerConnection)
    throw commandErrors.limit(`at most ${maxSubscriptionsPerConnection} subscriptions per connection`);
  const max = channel.options.maxSubscribers;
  if (max > 0 && services.hub.subscriberCount(name) >= max)
    throw commandErrors.limit(`channel is full (${max} subscribers)`);
  const { maxChannelsPerNode } = services.options;
  if (services.hub.subscriberCount(name) === 0 && services.hub.channelCount >= maxChannelsPerNode)
    throw commandErrors.limit(`this node serves at most ${maxChannelsPerNode} channels`);
  if (session.subscriptions.has(name)) throw new CommandError(ReplyErrorCode.AlreadySubscribed, 'already subscribed');

  const subscription = new Subscription(channel);
  session.subscriptions.add(subscription);
  try {
    await services.hub.subscribe(name, session);
    if (session.subscriptions.get(name) === subscription) {
      subscription.announced = true;
      services.lifecycle?.subscribed(session.record, name);
    }
    const result = await subscription.join(services.hub, services.channels, request.since);
    if (request.since) services.metrics.recovery(result.recovered === true);
    // Channel info rides along in the presence entry (and so in join/leave), as `chanInfo`.
    const entry: PresenceEntry & { chanInfo?: unknown } = {
      clientId: session.clientId,
      userId: session.userId,
      connInfo: session.identity.connInfo,
    };
    if (answer?.info !== undefined) entry.chanInfo = answer.info;
    await services.presence.join(channel, entry);
    if (answer?.expiresAt !== undefined) watchAccess(session, subscription, answer.expiresAt);
    return {
      result,
      goLive: () => {
        if (session.subscriptions.get(name) === subscription) subscription.goLive((p) => session.deliver(p));
      },
    };
  } catch (error) {
    if (session.subscriptions.get(name) === subscription) session.leave(name, 'server');
    throw error;
  }
}

/**
 * Access that expires: at `expiresAt` the application says again
 * (`onSubscriptionExpired`, the `sub_refresh` proxy). A new expiry keeps the
 * subscription; `null`, a failure or no hook unsubscribe it with 3006, and the
 * client resubscribes (through `onSubscribe` again).
 */
function watchAccess(session: CommandContext, subscription: Subscription, expiresAt: number): void {
  const name = subscription.channel.channel;
  const end = () => session.serverUnsubscribe(name, DisconnectCode.SubscriptionExpired, 'subscription expired');
  subscription.expireAt(expiresAt, () => {
    const hook = session.services.options.hooks.onSubscriptionExpired;
    if (!hook) return end();
    Promise.resolve(hook(session.context, { channel: name })).then(
      (renewal) => {
        if (session.subscriptions.get(name) !== subscription) return;
        if (renewal === null) return end();
        if (renewal.expiresAt !== undefined) watchAccess(session, subscription, renewal.expiresAt);
      },
      () => {
        if (session.subscriptions.get(name) === subscription) end();
      },
    );
  });
}
