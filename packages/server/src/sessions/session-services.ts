import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectionAuth } from '../auth/connection-auth.js';
import type { ChannelService } from '../channels/channel-service.js';
import type { Hub } from '../channels/hub.js';
import type { LifecycleEmitter } from '../events/lifecycle-emitter.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { PresenceTracker } from '../presence/presence-tracker.js';
import type { ServerHooks } from '../hooks.js';
import type { RateOptions } from './token-bucket.js';
import type { SessionRegistry } from './session-registry.js';

/** The server options a session reads (`ResolvedServerOptions` is one; see server-options.ts for each). */
interface SessionOptions {
  readonly hooks: ServerHooks;
  readonly connectTimeoutMs: number;
  readonly maxPendingCommands: number;
  readonly maxSendBufferBytes: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly rpcTimeoutMs: number;
  readonly tokenGraceMs: number;
  readonly personalNamespace: string | undefined;
  readonly commandRate: RateOptions | false;
  readonly maxConnectionsPerUser: number;
  readonly maxChannelsPerNode: number;
}

/**
 * What a session may use of its node, and nothing more: no engine, no cluster.
 * Channel data goes through the channel service; the hub and presence only see
 * joins and leaves.
 */
export interface SessionServices {
  readonly nodeId: string;
  readonly options: SessionOptions;
  readonly channels: ChannelService;
  readonly hub: Pick<Hub, 'subscribe' | 'unsubscribe' | 'subscriberCount' | 'observe' | 'channelCount'>;
  readonly presence: Pick<PresenceTracker, 'join' | 'leave' | 'addConnection' | 'removeConnection'>;
  readonly registry: SessionRegistry;
  readonly auth: ConnectionAuth;
  readonly metrics: Pick<
    ServerMetrics,
    | 'connected'
    | 'disconnected'
    | 'recovery'
    | 'messagesReceived'
    | 'messagesSent'
    | 'slowConsumer'
    | 'heartbeatTimeout'
  >;
  readonly log: Logger;
  /** Lifecycle events, when webhooks or `hooks.onEvent` want them. */
  readonly lifecycle?: Pick<
    LifecycleEmitter,
    'connected' | 'disconnected' | 'subscribed' | 'unsubscribed' | 'published'
  >;
  /** The handshake headers kept for the backend proxy after `connect` (the named ones only); absent: none are kept. */
  readonly forwardedHeaders?: (headers: IncomingHttpHeaders) => Record<string, string>;
}
