/**
 * @switchboard/server/internal: pieces of the server its own tests (and the repository's tools) use
 * directly. Not a stable API: anything here may change in any release.
 */
export { RecoveryMerge, type RecoveryOutcome } from './channels/recovery-merge.js';
export { parseChannelName, ChannelNameError, type ChannelName } from './channels/channel-name.js';
export { resolveNamespaceOptions, NAMESPACE_DEFAULTS } from './channels/namespace-options.js';
export { LifecycleEmitter } from './events/lifecycle-emitter.js';
export { NodeReaper } from './events/node-reaper.js';
