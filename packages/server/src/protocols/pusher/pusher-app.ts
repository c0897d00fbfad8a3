import { ConnectionAuth } from '../../auth/connection-auth.js';
import { ChannelService } from '../../channels/channel-service.js';
import { resolveNamespaceOptions } from '../../channels/namespace-options.js';
import { Namespaces } from '../../channels/namespaces.js';
import type { ProtocolNode } from '../../client-protocol.js';
import { commandErrors } from '../../errors.js';
import type { ServerHooks } from '../../hooks.js';
import type { Logger } from '../../logger.js';
import type { SessionServices } from '../../sessions/session-services.js';
import { PusherChannels } from './pusher-channels.js';
import { memberOf, PusherCodec, type MemberData } from './pusher-codec.js';
import type { PusherAppContext } from './pusher-connection.js';
import type { ResolvedPusherApp } from './pusher-options.js';
import { SubscriptionCounts } from './subscription-counts.js';

/** What an app's channel service needs of its node. */
export interface PusherAppServices {
  idempotencyWindowMs: number;
  published(channel: string): void;
}

/**
 * One Pusher app on this node: its channels (in namespaces of its own), its
 * codec (every push encoded once for all its connections), and, once the node
 * runs, the channel service and session services its connections and REST API
 * use. Its sessions are anonymous at `connect` (Pusher authorizes per channel
 * and per sign-in, by signature), and its only hook gives a presence member its
 * verified `channel_data` and enforces `maxPresenceMembers`.
 */
export class PusherApp implements PusherAppContext {
  readonly channels: PusherChannels;
  readonly codec: PusherCodec;
  /** Open connections on this node (`maxConnections`, 4004). */
  connections = 0;
  private parts: { service: ChannelService; session: SessionServices; node: ProtocolNode } | undefined;
  /** `subscriptionCount` pushes, once the node runs (the option on). */
  counts: SubscriptionCounts | undefined;

  constructor(readonly options: ResolvedPusherApp) {
    this.channels = new PusherChannels(options);
    this.codec = new PusherCodec(this.channels);
  }

  start(node: ProtocolNode, services: PusherAppServices, log: Logger): void {
    const namespaces = new Map(
      Object.entries(this.channels.namespaces()).map(([name, ns]) => [name, resolveNamespaceOptions(name, ns)]),
    );
    const service = new ChannelService(new Namespaces(namespaces), node.engine, services);
    const hooks: ServerHooks = { onSubscribe: (_ctx, sub) => this.admitMember(service, sub.channel, sub.token) };
    const { forwardedHeaders: _none, ...shared } = node.session;
    const session: SessionServices = {
      ...shared,
      channels: service,
      auth: new ConnectionAuth({ hooks: {}, allowAnonymous: true, jwt: undefined }, undefined, log),
      options: { ...node.session.options, hooks, personalNamespace: undefined, maxConnectionsPerUser: 0 },
    };
    this.parts = { service, session, node };
    if (this.options.subscriptionCount) this.counts = new SubscriptionCounts(this.channels, service, node, log);
  }

  /** Undefined until the node runs. */
  get running(): { service: ChannelService; session: SessionServices; node: ProtocolNode } | undefined {
    return this.parts;
  }

  /**
   * A presence subscribe's token is the `channel_data` its connection verified; the channel holds at most
   * `maxPresenceMembers` users.
   */
  private async admitMember(
    service: ChannelService,
    channel: string,
    token: string | undefined,
  ): Promise<{ info: MemberData } | undefined> {
    if (token === undefined) return undefined;
    const member = JSON.parse(token) as MemberData;
    const users = new Set((await service.presence(channel)).map((entry) => memberOf(entry)?.user_id));
    const max = this.options.maxPresenceMembers;
    if (!users.has(member.user_id) && users.size >= max)
      throw commandErrors.limit(`at most ${max} members in a presence channel`);
    return { info: member };
  }
}
