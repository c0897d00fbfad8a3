/** @switchboard/server: the real-time server. Channel logic lands first; the server around it is issue 5. */
export { RecoveryMerge, type RecoveryOutcome } from './channels/recovery-merge.js';
export { parseChannelName, ChannelNameError, MAX_CHANNEL_LENGTH, type ChannelName } from './channels/channel-name.js';
export {
  resolveNamespaceOptions,
  NAMESPACE_DEFAULTS,
  type NamespaceOptions,
  type ResolvedNamespaceOptions,
} from './channels/namespace-options.js';
