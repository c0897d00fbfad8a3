/** @switchboard/server: the real-time server. Channel logic lands first; the server around it is issue 5. */
export { RecoveryMerge, type RecoveryOutcome } from './channels/recovery-merge.js';
