/** @switchboard/server: the real-time server (channels, history and recovery, presence, RPC, HTTP API). */
export { SwitchboardServer, createServer, type MetricsSource } from './switchboard-server.js';
export type { DrainPlan } from './sessions/drain.js';
export { SERVER_DEFAULTS, type ServerOptions } from './server-options.js';
export { SERVER_OPTION_PROPERTIES, ServerOptionsSchema, compileOptionsCheck, expectation, showValue, type OptionMeta, type OptionsCheck, type ServerOptionKey } from './server-options-schema.js';
export type { ServerHooks, ConnectingContext, ConnectingResult, SessionContext } from './hooks.js';
export { CommandError, DisconnectError } from './errors.js';
export type { Transport, TransportListener, SharedMessage } from './transports/transport.js';
export { MemoryTransport, type MemoryPeer } from './transports/memory-transport.js';
export { encodeEventId, decodeEventId } from './transports/event-id.js';
export { UpstreamError } from './transports/http-sessions.js';
export type { ConnectionRequest } from './auth/identity.js';
export type { Logger } from './logger.js';
export { JWT_DEFAULTS, type JwtOptions, type JwtAlgorithm } from './auth/jwt-options.js';
export type { TokenClaims } from './auth/jwt-claims.js';
export type { ChannelPermissions, PermissionAction } from './auth/permissions.js';
export { signToken } from './auth/sign-token.js';
export { redactUrl } from './auth/redact-url.js';
export type { NodeInfo } from './cluster/control-messages.js';
export { RecoveryMerge, type RecoveryOutcome } from './channels/recovery-merge.js';
export { parseChannelName, ChannelNameError, MAX_CHANNEL_LENGTH, type ChannelName } from './channels/channel-name.js';
export {
  resolveNamespaceOptions,
  NAMESPACE_DEFAULTS,
  type NamespaceOptions,
  type ResolvedNamespaceOptions,
} from './channels/namespace-options.js';
