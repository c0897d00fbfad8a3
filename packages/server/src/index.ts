/** @switchboard/server: the real-time server (channels, history and recovery, presence, RPC, HTTP API). */
export { SwitchboardServer, createServer, type MetricsSource } from './switchboard-server.js';
export type { DrainPlan } from './sessions/drain.js';
export { SERVER_DEFAULTS, type ServerOptions } from './server-options.js';
export {
  SERVER_OPTION_PROPERTIES,
  ServerOptionsSchema,
  compileOptionsCheck,
  expectation,
  showValue,
  type OptionMeta,
  type OptionsCheck,
  type ServerOptionKey,
} from './server-options-schema.js';
export type { ServerHooks, ConnectingContext, ConnectingResult, SessionContext } from './hooks.js';
export { CommandError, DisconnectError } from './errors.js';
export type { Transport, TransportInfo, SessionInbound, SharedMessage, FrameCache } from './transports/transport.js';
export type { ClientProtocol, ProtocolEndpoints, ProtocolHost } from './client-protocol.js';
export { MemoryTransport, type MemoryPeer } from './transports/memory/memory-transport.js';
export { encodeEventId, decodeEventId } from './transports/http/event-id.js';
export { UpstreamError } from './transports/http/http-sessions.js';
export type { ConnectionRequest } from './auth/identity.js';
export type { Logger } from './logger.js';
export { JWT_DEFAULTS, type JwtOptions, type JwtAlgorithm } from './auth/jwt-options.js';
export type { TokenClaims } from './auth/jwt-claims.js';
export type { ChannelPermissions, PermissionAction } from './hooks.js';
export { signToken } from './auth/sign-token.js';
/** Its home is `@switchboard/websocket`; re-exported for existing imports. */
export { redactUrl } from '@switchboard/websocket';
export type { NodeInfo } from './cluster/control-messages.js';
export { MAX_CHANNEL_LENGTH } from './channels/channel-name.js';
export type { NamespaceOptions, ResolvedNamespaceOptions } from './channels/namespace-options.js';
export {
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEvent,
  type LifecycleEventType,
  type UnsubscribeReason,
} from './events/lifecycle-event.js';
export { LIFECYCLE_DEFAULTS, type LifecycleOptions } from './events/lifecycle-options.js';
export { WEBHOOK_DEFAULTS, type WebhookOptions } from './webhooks/webhook-options.js';
export type { WebhookView } from './webhooks/webhook-dispatcher.js';
export { EventsUnsupportedError } from './lifecycle-node.js';
export {
  parsePusherApp,
  PUSHER_APP_DEFAULTS,
  type PusherOptions,
  type PusherAppOptions,
} from './protocols/pusher/pusher-options.js';
