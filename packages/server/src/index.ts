/** @switchboard/server: the real-time server (channels, history and recovery, presence, RPC, HTTP API). */
export { SwitchboardServer, createServer } from './switchboard-server.js';
export { SERVER_DEFAULTS, type ServerOptions } from './server-options.js';
export type { ServerHooks, ConnectingContext, ConnectingResult, SessionContext } from './hooks.js';
export { CommandError, DisconnectError } from './errors.js';
export type { Logger } from './logger.js';
export type { NodeInfo } from './cluster/cluster-control.js';
export { RecoveryMerge, type RecoveryOutcome } from './channels/recovery-merge.js';
export { parseChannelName, ChannelNameError, MAX_CHANNEL_LENGTH, type ChannelName } from './channels/channel-name.js';
export {
  resolveNamespaceOptions,
  NAMESPACE_DEFAULTS,
  type NamespaceOptions,
  type ResolvedNamespaceOptions,
} from './channels/namespace-options.js';
